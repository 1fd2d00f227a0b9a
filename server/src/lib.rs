//! Culture Hub: one service for a county-level cultural center main-branch network
//! (文化馆总分馆制). Start at `app` for how a request flows; domain modules hold the rules.

/// Who may do what, where: the one authorization decision point.
pub mod access;
/// Activities and sessions: creation, publishing, browse.
pub mod activity;
/// HTTP handlers, one module per domain.
pub mod api;
/// Building the service: state, routes, middleware, shutdown.
pub mod app;
/// Append-only audit trail.
pub mod audit;
/// Seats, waiting lists, lotteries, cancellation, no-shows.
pub mod booking;
/// Redis or in-process cache, rate limits.
pub mod cache;
/// Session → caller cache kept exact by the database's change feed.
pub mod caller_cache;
pub mod change_feed;
/// Tickets and check-in at the door, volunteers' service hours.
pub mod checkin;
/// Subcommands of the `culturehub` binary.
pub mod cli;
/// The client's address, through trusted reverse proxies only.
pub mod client_ip;
/// The culture-cloud connection: aggregate snapshots pushed upward, the send log, file export.
pub mod cloud;
/// Typed, layered settings.
pub mod config;
/// Connections before hyper parses them: control characters in header values marked.
pub mod conn;
/// The staff console: cookie sessions, scan-to-sign-in, serving the built console.
pub mod console;
/// SQLite / PostgreSQL behind one type; migrations.
pub mod db;
/// Residents' demand requests and their loop back to activities.
pub mod demand;
/// The one error shape.
pub mod error;
/// Tiered evaluation (考核评估): templates, rounds, scores, third-party assessments, spot checks.
pub mod evaluation;
/// Staff downloads: CSV and xlsx from one table model, formula-safe.
/// Photos and notes attached to held sessions (活动照片台账), and ledger completeness.
pub mod evidence;
pub mod export;
/// Family members residents book for.
pub mod family;
/// Ratings, comment moderation and the staff inbox.
pub mod feedback;
/// Open data feeds (JSON, CSV, iCalendar) and residents' personal calendar feeds.
pub mod feeds;
/// Uploaded files: the `files` table, storing an image, reading it back, attaching it.
pub mod files;
/// Seat pools known to be full, answered from memory (D211).
pub mod full_sessions;
/// Sign-in, sessions, role grants, invitations.
pub mod identity;
/// Uploaded images checked, re-encoded without metadata, and thumbnailed.
pub mod images;
/// Ready staff inbox answers from memory, kept exact by a change feed (D265).
pub mod inbox_cache;
/// Text input checked once for every request: control characters, blank names.
pub mod input;
/// The cultural menu (点单): items, orders, delivery, votes.
/// The ledgers (台账): a workbook per unit and year or month, evidence and completeness.
pub mod ledger;
/// The resource library (数字资源库): curated links to media hosted elsewhere, views, ratings.
pub mod library;
pub mod menu;
/// Prometheus metrics.
pub mod metrics;
/// Staff notices to a session's attendees (我的消息 and subscribe messages).
pub mod notice;
/// WeChat subscribe messages through a durable outbox.
pub mod notify;
/// Online and hybrid activities: live link, replay, and when each is shown.
pub mod online;
/// The network of units.
pub mod org;
/// The staff register and dual dispatch (双派), counted for staffing and coverage.
pub mod people;
/// Export and erasure of personal data.
pub mod personal;
/// Yearly plans, targets and how sessions count towards them.
pub mod plans;
/// Share posters: PNG layout with a QR code to the page.
pub mod poster;
/// Masking of personal data.
pub mod privacy;
/// Cultural procurement: orders, purchases against budgets in fen, spend.
pub mod procurement;
/// Providers (供给方), their offerings, review and record.
pub mod providers;
/// Registration questions of an activity and the answers given when booking.
pub mod questions;
/// 举报: residents report comments and demands; staff uphold (hide) or dismiss.
pub mod reports;
/// Room bookings by verified teams and residents: the rules, approval, check-in, no-shows.
pub mod room_bookings;
/// Ready staff week calendars of rooms from memory, kept exact by a change feed (D274).
pub mod room_calendar_cache;
/// Rooms of a unit and one calendar per room (clashes refused by the database).
pub mod rooms;
/// A session's roster and sign-in sheet (签到表) for staff.
pub mod roster;
/// Booking rules as plain functions (no-shows, ages, lottery order).
pub mod rules;
/// Demo data.
pub mod seed;
/// Sponsors and partners, contracted operators (issue 16).
pub mod sponsors;
/// Shared handler state and request helpers.
pub mod state;
/// Figures for steering: satisfaction, demand, replies, targets, staffing, ledgers.
pub mod stats;
/// Where uploaded files' bytes live: a local directory or S3-compatible object storage.
pub mod storage;
/// Timestamps and the injectable clock.
pub mod targets_cache;
pub mod teams;
pub mod time;

pub mod training;
pub mod transfer;
/// WeChat client and fake server.
/// Volunteering beyond the door: opportunities, shifts, hours, teams (issue 16).
pub mod volunteering;
pub mod wechat;
/// Background worker: draws, reminders, outbox.
pub mod worker;

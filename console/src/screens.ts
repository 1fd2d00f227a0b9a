// Every screen of the console in one list: where it lives, what it needs to be shown in the
// navigation, and which API operations it uses. The list drives the router and the side menu, and
// the e2e contract test checks it against /openapi.json: a staff operation without a screen fails
// the build (docs/console.md lists the mapping). To add a screen: add a view under src/views/, add an
// entry here, and name the operations it calls.
import type { Component } from 'vue'
import type { Action } from './auth/access'

export interface Screen {
  name: string
  path: string
  title: string
  /** Element Plus icon name (from @element-plus/icons-vue). */
  icon: string
  /** Shown in the menu only to people holding this action somewhere. */
  needs: Action
  /** Not in the side menu (detail pages reached from another screen). */
  hidden?: boolean
  component: () => Promise<{ default: Component }>
  /** operationIds of /openapi.json this screen calls. */
  ops: string[]
}

export const SCREENS: Screen[] = [
  {
    name: 'dashboard',
    path: '/',
    title: '工作台',
    icon: 'Odometer',
    needs: 'read_activity_data',
    component: () => import('./views/DashboardView.vue'),
    ops: ['activities_browse', 'checkin_stats', 'feedback_counts', 'volunteer_applications', 'menu_orders', 'stats_targets'],
  },
  {
    name: 'network',
    path: '/network',
    title: '文化馆网络',
    icon: 'Share',
    needs: 'read_activity_data',
    component: () => import('./views/NetworkView.vue'),
    ops: ['org_tree', 'org_naming', 'org_unit', 'org_unit_update', 'org_unit_create', 'org_unit_rename', 'org_unit_move', 'org_unit_close', 'unit_staff', 'unit_volunteers'],
  },
  {
    name: 'activities',
    path: '/activities',
    title: '活动管理',
    icon: 'Calendar',
    needs: 'read_activity_data',
    component: () => import('./views/ActivitiesView.vue'),
    ops: ['manage_activities', 'activity_publish', 'activity_cancel'],
  },
  {
    name: 'activity-edit',
    path: '/activities/:id',
    title: '活动详情',
    icon: 'Calendar',
    needs: 'read_activity_data',
    hidden: true,
    component: () => import('./views/ActivityEditView.vue'),
    ops: ['file_upload', 'file_get', 'file_thumb', 'activity_get', 'activity_create', 'activity_update', 'activity_publish', 'activity_cancel', 'session_update', 'unit_rooms', 'activity_attendance', 'activity_lottery', 'activity_online_get', 'activity_online_set'],
  },
  {
    name: 'session',
    path: '/sessions/:id',
    title: '场次名单',
    icon: 'List',
    needs: 'read_activity_data',
    hidden: true,
    component: () => import('./views/SessionView.vue'),
    ops: ['session_roster', 'session_roster_xlsx', 'session_sign_in_sheet', 'booking_waive_no_show', 'session_notice_send', 'session_notices'],
  },
  {
    name: 'door',
    path: '/door',
    title: '入场签到',
    icon: 'Tickets',
    needs: 'manage_checkin',
    component: () => import('./views/DoorView.vue'),
    ops: [
      'checkin_scan', 'checkin_undo', 'checkin_lookup', 'checkin_manual', 'checkin_headcount', 'checkin_venue_code',
      'checkin_stats', 'checkin_conflicts', 'checkin_conflict_resolve',
    ],
  },
  {
    name: 'volunteers',
    path: '/volunteers',
    title: '志愿者',
    icon: 'User',
    needs: 'manage_checkin',
    component: () => import('./views/VolunteersView.vue'),
    ops: [
      'volunteer_applications', 'volunteer_approve', 'volunteer_reject', 'unit_volunteers', 'unit_volunteers_csv',
      'assignment_session', 'assignment_day', 'assignment_remove',
    ],
  },
  {
    name: 'volunteering',
    path: '/volunteering',
    title: '志愿岗位',
    icon: 'Flag',
    needs: 'manage_volunteering',
    component: () => import('./views/VolunteeringView.vue'),
    ops: [
      'volunteer_roles', 'opportunities_manage', 'opportunity_create', 'shift_create', 'shift_update', 'opportunity_close',
      'shift_signups', 'shift_signup_approve', 'shift_signup_decline', 'shift_hours_confirm', 'volunteer_hours_export',
    ],
  },
  {
    name: 'volunteer-teams',
    path: '/volunteer-teams',
    title: '志愿服务队',
    icon: 'Connection',
    needs: 'manage_volunteering',
    component: () => import('./views/VolunteerTeamsView.vue'),
    ops: ['volunteer_teams', 'volunteer_team_create', 'volunteer_team_update', 'volunteer_team_applications', 'volunteer_team_decide'],
  },
  {
    name: 'sponsors',
    path: '/sponsors',
    title: '支持单位',
    icon: 'Present',
    needs: 'manage_sponsors',
    component: () => import('./views/SponsorsView.vue'),
    ops: ['sponsorships_list', 'sponsorship_create', 'sponsorship_update'],
  },
  {
    name: 'operators',
    path: '/operators',
    title: '社会化运营',
    icon: 'OfficeBuilding',
    needs: 'read_operators',
    component: () => import('./views/OperatorsView.vue'),
    ops: ['operators_list', 'unit_operator_save'],
  },
  {
    name: 'feedback',
    path: '/feedback',
    title: '评价反馈',
    icon: 'ChatDotSquare',
    needs: 'read_feedback',
    component: () => import('./views/FeedbackView.vue'),
    ops: ['feedback_inbox', 'feedback_counts', 'feedback_mark_read', 'feedback_reply', 'feedback_handle', 'feedback_moderate', 'feedback_export'],
  },
  {
    name: 'reports',
    path: '/reports',
    title: '举报处理',
    icon: 'WarningFilled',
    needs: 'moderate_reports',
    component: () => import('./views/ReportsView.vue'),
    ops: ['report_queue', 'report_decide'],
  },
  {
    name: 'demand',
    path: '/demand',
    title: '群众需求',
    icon: 'Promotion',
    needs: 'read_feedback',
    component: () => import('./views/DemandView.vue'),
    ops: ['demand_manage_list', 'demand_triage', 'demand_merge', 'demand_link', 'demand_moderate'],
  },
  {
    name: 'menu',
    path: '/menu',
    title: '文化菜单',
    icon: 'Menu',
    needs: 'order_menu',
    component: () => import('./views/MenuView.vue'),
    ops: ['menu_items', 'menu_item_create', 'menu_order_create', 'menu_orders', 'menu_order_approve', 'menu_order_reject', 'menu_order_deliver'],
  },
  {
    name: 'procurement',
    path: '/procurement',
    title: '文化采购',
    icon: 'ShoppingCart',
    needs: 'procure',
    component: () => import('./views/ProcurementView.vue'),
    ops: [
      'procurement_catalogue', 'procurement_order_create', 'procurement_orders', 'procurement_order_confirm',
      'procurement_order_purchase', 'procurement_order_deliver', 'procurement_budgets', 'procurement_budget_set', 'stats_procurement',
    ],
  },
  {
    name: 'providers',
    path: '/providers',
    title: '供给方审核',
    icon: 'Stamp',
    needs: 'review_providers',
    component: () => import('./views/ProvidersView.vue'),
    ops: ['providers_list', 'provider_review', 'offerings_list', 'offering_review'],
  },
  {
    name: 'people',
    path: '/people',
    title: '人员与权限',
    icon: 'Avatar',
    needs: 'read_staff',
    component: () => import('./views/PeopleView.vue'),
    ops: ['unit_staff', 'invitation_create', 'grant_create', 'grant_revoke', 'unit_audit', 'console_sessions', 'console_session_revoke'],
  },
  {
    name: 'targets',
    path: '/targets',
    title: '年度目标',
    icon: 'Flag',
    needs: 'read_stats',
    component: () => import('./views/TargetsView.vue'),
    ops: ['stats_targets', 'stats_target_sessions', 'plan_get', 'plan_save'],
  },
  {
    name: 'workplan',
    path: '/workplan',
    title: '工作计划',
    icon: 'List',
    needs: 'read_stats',
    component: () => import('./views/WorkPlanView.vue'),
    ops: ['plan_items', 'plan_item_create', 'plan_item_update', 'plan_item_close', 'plan_item_reopen', 'plan_item_delete', 'plan_item_link', 'plan_item_unlink'],
  },
  {
    name: 'partners',
    path: '/partners',
    title: '联办确认',
    icon: 'Connection',
    needs: 'manage_activities',
    component: () => import('./views/PartnersView.vue'),
    ops: ['partner_requests', 'partner_confirm', 'partner_decline'],
  },
  {
    name: 'cloud',
    path: '/cloud',
    title: '文化云上报',
    icon: 'UploadFilled',
    needs: 'read_cloud_log',
    component: () => import('./views/CloudView.vue'),
    ops: ['cloud_sends', 'cloud_push', 'cloud_export'],
  },
  {
    name: 'rooms',
    path: '/rooms',
    title: '场地与日程',
    icon: 'OfficeBuilding',
    needs: 'read_activity_data',
    component: () => import('./views/RoomsView.vue'),
    ops: ['rooms_list', 'unit_rooms', 'room_create', 'room_update', 'room_close', 'room_closure_create', 'room_closure_delete', 'rooms_calendar', 'stats_room_use', 'room_bookings_list', 'room_booking_approve', 'room_booking_decline', 'room_booking_waive_no_show', 'room_door_code'],
  },
  {
    name: 'teams',
    path: '/teams',
    title: '文艺团队',
    icon: 'Microphone',
    needs: 'manage_teams',
    component: () => import('./views/TeamsView.vue'),
    ops: ['teams_manage_list', 'team_detail', 'team_verify', 'team_decline', 'team_guidance_add', 'team_award_add', 'team_performance_add', 'team_performance_remove', 'team_photos_set', 'stats_teams'],
  },
  {
    name: 'library',
    path: '/library',
    title: '数字资源库',
    icon: 'Collection',
    needs: 'manage_library',
    component: () => import('./views/LibraryView.vue'),
    ops: ['library_manage_list', 'library_create', 'library_update', 'library_get', 'file_upload', 'file_get', 'file_thumb'],
  },
  {
    name: 'training',
    path: '/training',
    title: '工作人员培训',
    icon: 'Reading',
    needs: 'read_staff',
    component: () => import('./views/TrainingView.vue'),
    ops: ['training_summary'],
  },
  {
    name: 'register',
    path: '/register',
    title: '人员名册与双派',
    icon: 'Postcard',
    needs: 'read_staff',
    component: () => import('./views/RegisterView.vue'),
    ops: [
      'staff_register_list', 'staff_register_create', 'staff_register_update', 'dispatch_list', 'dispatch_create', 'dispatch_end',
      'stats_dispatch_coverage', 'stats_staffing', 'training_record_staff',
    ],
  },
  {
    name: 'stats',
    path: '/stats',
    title: '统计与导出',
    icon: 'DataAnalysis',
    needs: 'read_stats',
    component: () => import('./views/StatsView.vue'),
    ops: ['stats_satisfaction', 'stats_demand', 'stats_replies', 'stats_targets', 'stats_staffing', 'stats_ledger'],
  },
  {
    name: 'ledgers',
    path: '/ledgers',
    title: '台账',
    icon: 'Notebook',
    needs: 'export_ledger',
    component: () => import('./views/LedgersView.vue'),
    ops: ['ledger_workbook', 'ledger_completeness', 'evidence_list', 'evidence_attach', 'evidence_remove', 'file_upload', 'file_thumb'],
  },
  {
    name: 'evaluation',
    path: '/evaluation',
    title: '考核评估',
    icon: 'Medal',
    needs: 'read_evaluation',
    component: () => import('./views/EvaluationView.vue'),
    ops: [
      'eval_rounds', 'eval_round_create', 'eval_round_get', 'eval_round_export', 'eval_round_publish', 'eval_round_reopen',
      'eval_template_get', 'eval_template_save', 'eval_assign', 'eval_assess', 'spot_checks', 'spot_check_create', 'spot_check_rectify',
      'eval_unit_history', 'eval_facilities_get', 'eval_facilities_save', 'eval_facility_standards_get', 'eval_facility_standards_save',
      'file_upload',
    ],
  },
  {
    name: 'evaluation-entry',
    path: '/evaluation/entries/:id',
    title: '考核填报与评分',
    icon: 'Medal',
    needs: 'read_evaluation',
    hidden: true,
    component: () => import('./views/EvaluationEntryView.vue'),
    ops: ['eval_rounds', 'eval_entry_get', 'eval_entry_self', 'eval_entry_submit', 'eval_entry_score', 'eval_entry_return', 'file_upload', 'file_get'],
  },
]

/** The sign-in page (outside the layout, so not in SCREENS) and the session the whole app uses. */
export const SIGN_IN = {
  title: '登录',
  ops: [
    'console_login_code_create', 'console_login_code_qr', 'console_login_code_status', 'console_dev_login', 'console_dev_accounts',
    'console_session', 'console_logout',
  ],
}

/** operationId → the screens that use it. */
export function operationScreens(): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const s of [...SCREENS, SIGN_IN]) for (const op of s.ops) m.set(op, [...(m.get(op) || []), s.title])
  return m
}

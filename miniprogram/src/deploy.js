// Deployment values of the mini-program: written by `npm run configure -- <file.json>` from a
// deployment file (see deploy.config.example.json), never edited by hand for a release.
// The values checked in here are placeholders for development; `npm run check:release` fails
// while any of them is left (D113).
module.exports = {
  appid: 'touristappid',
  baseUrls: {
    develop: 'http://127.0.0.1:8080',
    trial: 'https://culturehub-test.example.gov.cn',
    release: 'https://culturehub.example.gov.cn'
  },
  subscribeTemplates: {
    booking_confirmed: 'tmpl_booking_confirmed',
    waitlist_promoted: 'tmpl_waitlist_promoted',
    lottery_result: 'tmpl_lottery_result',
    session_reminder: 'tmpl_session_reminder',
    activity_changed: 'tmpl_activity_changed',
    demand_update: 'tmpl_demand_update'
  }
}

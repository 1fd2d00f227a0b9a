import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { SCREENS } from './screens'
import { session, loadSession } from './auth/session'
import { loadOrg } from './auth/org'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: () => import('./components/AppLayout.vue'),
    children: SCREENS.map((s) => ({
      path: s.path === '/' ? '' : s.path.slice(1),
      name: s.name,
      component: s.component,
      meta: { title: s.title, needs: s.needs },
    })),
  },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.loaded) {
    try {
      await loadSession()
    } catch {
      session.notice = '无法连接服务，请稍后再试'
      return { name: 'login' }
    }
  }
  if (!session.current) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  await loadOrg()
  return true
})

router.afterEach((to) => {
  document.title = `${(to.meta.title as string) || '工作台'} · 文化馆总分馆工作台`
})

/** Any 401 from the service: the session is over, back to sign-in (the client calls this). */
export function sessionExpired(message: string) {
  if (!session.current) return
  session.current = null
  session.notice = message || '登录已过期，请重新扫码登录'
  const here = router.currentRoute.value
  if (here.name !== 'login') router.push({ name: 'login', query: { redirect: here.fullPath } })
}

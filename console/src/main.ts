import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import * as Icons from '@element-plus/icons-vue'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { router, sessionExpired } from './router'
import { configureClient } from './api/client'

configureClient({ onUnauthorized: (e) => sessionExpired(e.code === 'session_invalid' ? '登录已过期或已被注销，请重新扫码登录' : e.message) })

const app = createApp(App)
// Element Plus is registered whole (D56): one cached chunk, every component at hand for later screens.
app.use(ElementPlus, { locale: zhCn })
for (const [name, comp] of Object.entries(Icons)) app.component(name, comp)
app.use(router)
app.mount('#app')

import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The console is served by `culturehub serve` at /console/ and talks only to /api/v1 on the same
// origin. In development (`npm run dev`) Vite proxies /api to the service named by CULTUREHUB_API.
const api = process.env.CULTUREHUB_API || 'http://127.0.0.1:8080'

export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  server: {
    port: Number(process.env.CONSOLE_DEV_PORT || 5173),
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Element Plus and ECharts change rarely: their own chunks stay cached across releases.
        manualChunks(id) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/vue') || id.includes('node_modules/@vue')) return 'vue'
          return undefined
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20000,
  },
})

// Loading, error and empty states for one read: every screen's lists use this.
import { ref, type Ref } from 'vue'
import { messageOf } from '../api/client'

export interface Loaded<T> {
  data: Ref<T | null>
  loading: Ref<boolean>
  error: Ref<string>
  reload: () => Promise<void>
}

export function useLoad<T>(fn: () => Promise<T>, immediate = true): Loaded<T> {
  const data = ref(null) as Ref<T | null>
  const loading = ref(false)
  const error = ref('')
  let seq = 0
  const reload = async () => {
    const mine = ++seq
    loading.value = true
    error.value = ''
    try {
      const v = await fn()
      if (mine === seq) data.value = v
    } catch (e) {
      if (mine === seq) error.value = messageOf(e)
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  if (immediate) void reload()
  return { data, loading, error, reload }
}

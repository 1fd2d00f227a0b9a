// Writes: a confirmation first where the change cannot be undone, the server's message on failure.
import { ElMessage, ElMessageBox } from 'element-plus'
import { messageOf } from '../api/client'

export async function confirmWrite(message: string, title = '请确认', confirmText = '确定'): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, {
      confirmButtonText: confirmText,
      cancelButtonText: '取消',
      type: 'warning',
      autofocus: false,
    })
    return true
  } catch {
    return false
  }
}

/** Asks for a required reason (cancel, reject, waive…); null when the person backs out. */
export async function promptReason(message: string, title: string, placeholder = '请填写原因（必填，200 字以内）'): Promise<string | null> {
  try {
    const { value } = await ElMessageBox.prompt(message, title, {
      confirmButtonText: '确定',
      cancelButtonText: '取消',
      inputPlaceholder: placeholder,
      inputValidator: (v: string) => (v && v.trim().length > 0 && v.trim().length <= 200) || '请填写 1–200 字',
      type: 'warning',
    })
    return (value as string).trim()
  } catch {
    return null
  }
}

/** Runs a write; shows the success text or the server's error message. Returns whether it worked. */
export async function runWrite(fn: () => Promise<unknown>, success?: string): Promise<boolean> {
  try {
    await fn()
    if (success) ElMessage.success(success)
    return true
  } catch (e) {
    ElMessage.error({ message: messageOf(e), duration: 6000, showClose: true })
    return false
  }
}

// The unified naming rule (GET /api/v1/org/naming), checked as staff type. The service checks
// again and has the last word; this only saves a round trip and shows the rule.
export interface NamingRule {
  main: string
  direct_branch: string
  branch: string
  point: string
}

/** `{error}` when `name` does not follow the level's pattern (`福田区文化馆××分馆`), else the default short name. */
export function checkName(rule: NamingRule, level: string, name: string): { error: string; short: string } {
  const pattern = rule[level as keyof NamingRule] || rule.point
  const wrong = { error: `名称应符合统一命名规则：${pattern}`, short: '' }
  const n = name.trim()
  if (/\s/.test(n)) return wrong
  const i = pattern.indexOf('××')
  if (i < 0) return n === pattern ? { error: '', short: n } : wrong
  const pre = pattern.slice(0, i)
  const post = pattern.slice(i + 2)
  if (!n.startsWith(pre) || !n.endsWith(post)) return wrong
  const x = [...n.slice(pre.length, n.length - post.length)]
  if (x.length < 1 || x.length > 20 || n.length < pre.length + post.length) return wrong
  return { error: '', short: x.join('') + post }
}

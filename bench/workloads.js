// The data the benchmark writes. Everything is generated from a fixed seed, so every contender
// and every child process builds exactly the same value, and the expected bytes can be computed
// without a file to compare against.
'use strict'

const crypto = require('node:crypto')

/** mulberry32: a tiny seeded PRNG, so the data is the same in every process and on every run. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A VS Code / Roo Code style settings object of about 1.1 KB compact: the "small" workload.
 * `revision` changes on every write so that no writer could skip a write as unchanged.
 */
function settings(revision = 0) {
  return {
    version: '3.25.4',
    revision,
    apiProvider: 'anthropic',
    apiModelId: 'claude-sonnet-4-5',
    openRouterModelId: 'anthropic/claude-sonnet-4.5',
    modelTemperature: 0,
    rateLimitSeconds: 0,
    diffEnabled: true,
    fuzzyMatchThreshold: 1,
    alwaysAllowReadOnly: true,
    alwaysAllowWrite: false,
    alwaysAllowExecute: false,
    allowedCommands: ['npm test', 'npm install', 'tsc', 'git log', 'git diff', 'git show', 'cargo test'],
    language: 'de',
    customInstructions:
      'Antworte auf Deutsch. Prüfe Änderungen mit den Tests, bevor du „fertig“ sagst. Keine neuen Abhängigkeiten ohne Rückfrage.',
    terminalOutputLineLimit: 500,
    maxOpenTabsContext: 20,
    maxWorkspaceFiles: 200,
    mcpServers: {
      filesystem: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/home/user/projects'],
        alwaysAllow: ['read_file', 'list_directory'],
        disabled: false,
        timeout: 60,
      },
      github: {
        command: 'docker',
        args: ['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server'],
        env: { GITHUB_PERSONAL_ACCESS_TOKEN: '<redacted>' },
        disabled: true,
      },
    },
    modeApiConfigs: { code: 'default', architect: 'o3', ask: 'default', debug: 'default' },
    lastShownAnnouncementId: 'sep-2025-v3.28.0',
  }
}

// Words in several scripts, so that message text is non-ASCII (V8 then holds it as a two-byte
// string, the expensive case for UTF-8 output) and needs JSON escaping now and then.
const WORDS = (
  'the function returns a promise and the test checks the file on disk after every write ' +
  'Datei Änderung überprüfen Größe Schlüssel Prüfung fehlerhaft weiß ' +
  'файл ошибка проверка запись данные функция ' +
  '文件 错误 测试 写入 数据 函数 保存 ' +
  'ファイル エラー テスト 書き込み ' +
  'café naïve résumé façade — “quoted” ‘single’ … ' +
  '🚀 ✅ ⚠️ 👍 ' +
  'src/utils/safeWriteJson.ts C:\\Users\\dev\\project "double" \t tab'
).split(' ')

function text(rand, words) {
  let s = ''
  for (let i = 0; i < words; i++) {
    s += WORDS[Math.floor(rand() * WORDS.length)]
    s += rand() < 0.08 ? '\n' : ' '
  }
  return s
}

/**
 * One element of a Roo Code task history (`ui_messages.json`: ClineMessage), of a kind drawn at
 * random with roughly the mix a real task has: assistant text, API request records (whose
 * `text` is itself JSON, so full of escaped quotes), tool asks with file contents, reasoning,
 * checkpoints, user feedback with a (small) pasted image.
 */
function message(rand, index) {
  const r = rand()
  const ts = 0 // replaced per element, see history()
  if (r < 0.3) return { ts, type: 'say', say: 'text', text: text(rand, 20 + rand() * 120), partial: false }
  if (r < 0.5) {
    const request = `<task>\n${text(rand, 30)}\n</task>\n<environment_details>\n${text(rand, 60)}\n</environment_details>`
    const info = {
      request,
      tokensIn: Math.floor(rand() * 90000),
      tokensOut: Math.floor(rand() * 4000),
      cacheWrites: 0,
      cacheReads: Math.floor(rand() * 80000),
      cost: Math.round(rand() * 1e5) / 1e6,
    }
    return { ts, type: 'say', say: 'api_req_started', text: JSON.stringify(info) }
  }
  if (r < 0.65) {
    const tool = {
      tool: 'readFile',
      path: `src/core/${text(rand, 1).trim() || 'x'}.ts`,
      content: text(rand, 80 + rand() * 300),
      isOutsideWorkspace: false,
    }
    return { ts, type: 'ask', ask: 'tool', text: JSON.stringify(tool), partial: false, isProtected: false }
  }
  if (r < 0.8) return { ts, type: 'say', say: 'reasoning', text: text(rand, 40 + rand() * 200), partial: false }
  if (r < 0.88) {
    const hash = crypto.createHash('sha1').update(String(index)).digest('hex')
    return {
      ts,
      type: 'say',
      say: 'checkpoint_saved',
      text: hash,
      checkpoint: { isFirst: index === 0, from: hash.slice(0, 7), to: hash.slice(7, 14) },
    }
  }
  if (r < 0.95) {
    return {
      ts,
      type: 'say',
      say: 'user_feedback',
      text: text(rand, 10 + rand() * 40),
      images:
        rand() < 0.3
          ? [`data:image/png;base64,${crypto.createHash('sha512').update(String(index)).digest('base64').repeat(20)}`]
          : [],
    }
  }
  const followup = {
    question: text(rand, 15),
    suggest: [{ answer: text(rand, 6) }, { answer: text(rand, 8), mode: 'code' }],
  }
  return {
    ts,
    type: 'ask',
    ask: 'followup',
    text: JSON.stringify(followup),
    partial: false,
    conversationHistoryIndex: Math.floor(rand() * 500),
  }
}

// The distinct messages a history is made of. A history of N bytes reuses them (as objects of
// their own, sharing the strings), so that even 700 MB of JSON fits in a modest heap and builds in
// seconds: JSON.stringify still walks and escapes every string of every element.
const TEMPLATES = 4096
const TS0 = 1_732_000_000_000 // 13 digits for every element (ts = TS0 + 997 * i stays below 1e13)
let templates
function getTemplates() {
  if (!templates) {
    const rand = rng(0x5afe)
    templates = []
    for (let i = 0; i < TEMPLATES; i++) {
      const t = message(rand, i)
      t.ts = TS0 // any 13-digit ts serializes to the same length, so the length below holds for all
      templates.push({ t, bytes: Buffer.byteLength(JSON.stringify(t)) })
    }
  }
  return templates
}

/**
 * A task history (array of messages) whose compact JSON is at least `bytes` long (and at most one
 * message longer). Element i is a copy of template i % 4096 with its own `ts`.
 */
function history(bytes) {
  const all = getTemplates()
  const out = []
  let size = 2 // [ ]
  for (let i = 0; size < bytes; i++) {
    const { t, bytes: n } = all[i % TEMPLATES]
    const m = { ...t } // same key order (and so the same hidden class) as the template
    m.ts = TS0 + 997 * i
    out.push(m)
    size += n + (i > 0 ? 1 : 0)
  }
  return { data: out, bytes: size }
}

/**
 * The bytes JSON.stringify(history) would produce, element by element, in pieces of about
 * `chunk` bytes: for a top-level array of plain objects, compact JSON is exactly '[' + the
 * elements' JSON joined by ',' + ']'. This is how the 700 MB reference is made, which no single
 * string can hold.
 */
function* historyPieces(data, chunk = 8 << 20) {
  let buf = '['
  for (let i = 0; i < data.length; i++) {
    if (i > 0) buf += ','
    buf += JSON.stringify(data[i])
    if (buf.length >= chunk) {
      yield buf
      buf = ''
    }
  }
  yield buf + ']'
}

module.exports = { rng, settings, history, historyPieces }

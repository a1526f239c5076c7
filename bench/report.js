// Turns one run's sections into bench/results.md (tables) and bench/results.svg (bar charts,
// written by hand as SVG text: no dependency).
'use strict'

/** A number for a table: '—' when there is none; 3 significant digits by default. */
function fmt(x, digits) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—'
  if (digits !== undefined) return x.toFixed(digits)
  const a = Math.abs(x)
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3)
}

/** One goal of issue 3: what it asks, the measured ratio (or null), met or not, the numbers. */
const goal = (workload, what, ratio, met, detail) => ({ workload, what, ratio, met: Boolean(met), detail })

function table(header, rows) {
  const esc = (c) => String(c).replace(/\|/g, '\\|')
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

function markdown(m, ctx) {
  const out = []
  out.push('# safe-write-json benchmark results', '')
  out.push(
    `Command: \`${m.command}\` (${m.seconds.toFixed(0)} s)${m.quick ? ' — **--quick: reduced sizes and repetitions; a check of the harness, not a measurement**' : ''}  `,
  )
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGB} GiB, ${m.os}; Node ${m.node}; ${m.date}; package at ${m.commit}`,
    '',
  )
  out.push(
    'Every number is the median of the repetitions shown (minimum or best beside it); ratios compare medians of this same run. See [README.md](README.md) for how each is measured.',
    '',
  )
  const goals = ctx.sections.flatMap((s) => s.goals)
  if (goals.length) {
    out.push('## Goals (issues 3 and 12)', '')
    out.push(
      table(
        ['workload', 'goal', 'measured', 'ratio', 'result'],
        goals.map((g) => [
          g.workload,
          g.what,
          g.detail,
          g.ratio === null ? '—' : `${fmt(g.ratio, 2)}×`,
          g.met ? 'met' : '**not met**',
        ]),
      ),
    )
    out.push('')
  }
  if (ctx.checks.length) {
    out.push('## Byte check (before timing)', '')
    out.push(
      "Each contender wrote the workload's data once; its file was compared byte for byte with `JSON.stringify(data)` (the large cases: SHA-256 of the file against the expected bytes).",
      '',
    )
    const failed = ctx.checks.filter((c) => c.same === false)
    const passed = ctx.checks.filter((c) => c.same === true)
    const noFile = ctx.checks.filter((c) => c.same === null)
    const byContender = new Map()
    for (const c of passed) byContender.set(c.contender, [...(byContender.get(c.contender) || []), c.workload])
    for (const [id, ws] of byContender) out.push(`- \`${id}\` = JSON.stringify ✓ (${ws.join(', ')})`)
    for (const c of failed) out.push(`- \`${c.contender}\` ✗ in ${c.workload}: ${c.detail}`)
    for (const c of noFile) out.push(`- \`${c.contender}\` wrote no file to compare in ${c.workload}: ${c.detail}`)
    out.push('')
  }
  for (const s of ctx.sections) {
    out.push(`## ${s.title}`, '')
    out.push(table(s.header, s.rows), '')
  }
  if (ctx.notes.length) {
    out.push('## Notes', '')
    for (const n of ctx.notes) out.push(`- ${n}`)
    out.push('')
  }
  return out.join('\n')
}

const escXml = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Horizontal bars, one group per workload, each bar scaled to the longest of its group. */
function svg(m, ctx) {
  const W = 820
  const LABEL = 260
  const BAR = 16
  const GAP = 4
  const BARW = W - LABEL - 110
  const parts = []
  let y = 28
  parts.push(
    `<text x="10" y="18" font-size="14" font-weight="bold">safe-write-json benchmark — ${escXml(m.cpu)}, ${m.cores} cores, Node ${escXml(m.node)}, ${escXml(m.date.slice(0, 10))}${m.quick ? ' (--quick)' : ''}</text>`,
  )
  const groups = ctx.sections.flatMap((s) => [].concat(s.chart))
  for (const g of groups) {
    // A bar is [label, value] or [label, null, note]: a contender that failed shows its note.
    const bars = g.bars.filter(([, v, note]) => Number.isFinite(v) || note)
    if (!bars.length) continue
    y += 14
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${escXml(g.label)}</text>`)
    y += 6
    const max = Math.max(...bars.map(([, v]) => (Number.isFinite(v) ? v : 0)))
    for (const [label, v, note] of bars) {
      const ours = label.startsWith('safe-write-json')
      const floor = label.startsWith('Rust floor') || label.startsWith('JSON.stringify')
      const color = ours ? '#d9480f' : floor ? '#868e96' : '#4c6ef5'
      parts.push(`<text x="${LABEL - 6}" y="${y + BAR - 4}" font-size="11" text-anchor="end">${escXml(label)}</text>`)
      if (Number.isFinite(v)) {
        const w = Math.max(1, (v / max) * BARW)
        parts.push(`<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${color}"/>`)
        parts.push(`<text x="${LABEL + w + 4}" y="${y + BAR - 4}" font-size="11">${escXml(fmt(v))}</text>`)
      } else {
        parts.push(`<text x="${LABEL + 4}" y="${y + BAR - 4}" font-size="11" fill="${color}">${escXml(note)}</text>`)
      }
      y += BAR + GAP
    }
  }
  y += 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif">`,
    `<rect width="${W}" height="${y}" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

module.exports = { fmt, goal, markdown, svg }

#!/usr/bin/env node
// Render golden badges with shields.io's own renderer, the npm package `badge-maker`.
//
// The Python package `badges/` must produce the same SVG as badge-maker. This script is the only
// source of the reference output: it installs a pinned badge-maker into the repository's ignored
// cache directory (.cache/npm-badges, nothing global) and renders every case of the table below
// in every style.
//
// Usage (from anywhere; paths are resolved from this file):
//
//   node scripts/badges/render_goldens.mjs            install if needed, write the goldens:
//                                                      tests/data/badges/gold/<case>--<style>.svg
//                                                      tests/data/badges/gold/cases.json
//   node scripts/badges/render_goldens.mjs --install  only install badge-maker into the cache
//   node scripts/badges/render_goldens.mjs --stdin    read a JSON list of cases
//                                                      ({label, message, color, style, labelColor?})
//                                                      from stdin, print a JSON list of SVGs
//                                                      (used by tests/crosscheck/test_badges_live.py)
//
// The width tables in badges/data/ come from the same install: see scripts/badges/gen_widths.py.
// After changing the cases, re-run this script and commit the regenerated gold directory.

import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const BADGE_MAKER_VERSION = '6.0.0'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..', '..')
const cacheDir = path.join(repo, '.cache', 'npm-badges')
const goldDir = path.join(repo, 'tests', 'data', 'badges', 'gold')
const pkgDir = path.join(cacheDir, 'node_modules', 'badge-maker')

const STYLES = ['flat', 'flat-square', 'plastic', 'for-the-badge', 'social']

// name, label, message, color[, labelColor]. Every case is rendered in every style.
const CASES = [
  ['coverage-brightgreen', 'coverage', '97%', 'brightgreen'],
  ['coverage-green', 'coverage', '85.2%', 'green'],
  ['coverage-yellowgreen', 'coverage', '75%', 'yellowgreen'],
  ['coverage-yellow', 'coverage', '64.5%', 'yellow'],
  ['coverage-orange', 'coverage', '51%', 'orange'],
  ['coverage-red', 'coverage', '12.3%', 'red'],
  ['coverage-100', 'coverage', '100%', '#4c1'],
  ['coverage-zero', 'coverage', '0%', '#e05d44'],
  ['unknown', 'coverage', 'unknown', 'lightgrey'],
  ['stale', 'coverage', 'stale 91%', 'grey'],
  ['blue', 'docs', 'latest', 'blue'],
  ['alias-gray', 'alias', 'gray', 'gray'],
  ['alias-lightgray', 'alias', 'lightgray', 'lightgray'],
  ['alias-success', 'alias', 'success', 'success'],
  ['alias-critical', 'alias', 'critical', 'critical'],
  ['alias-important', 'alias', 'important', 'important'],
  ['alias-informational', 'alias', 'informational', 'informational'],
  ['alias-inactive', 'alias', 'inactive', 'inactive'],
  ['hex-no-hash', 'hex', 'no hash', '0A7BBB'],
  ['hex-six', 'hex', 'six digits', '#9f9f9f'],
  ['hex-upper', 'hex', 'upper case', '#ABCDEF'],
  ['hex-light', 'light', 'dark text', 'ffd700'],
  ['hex-white', 'white', 'background', '#fff'],
  ['label-color', 'label', 'coloured', 'blue', '#e05d44'],
  ['label-color-light', 'label', 'light label', 'red', 'eeeeee'],
  ['label-color-no-label', '', 'label colour only', 'green', 'orange'],
  ['empty-label', '', '88%', 'brightgreen'],
  ['empty-message', 'label only', '', 'blue'],
  ['empty-both', '', '', 'red'],
  ['trimmed', '  padded label ', '\t 42 %\n', 'green'],
  ['numbers', '0123456789', '9876543210.5', 'orange'],
  ['long', 'a rather long label, longer than most labels are',
    'and an even longer message with many words in it: 1234567890', 'blue'],
  ['escaping', 'a&b <c> "d"', "it's <b>&amp;</b> \"x\" > 'y'", 'red'],
  ['unicode-latin', 'café crème', 'naïve façade — ÀÉÎÕÜ', 'yellowgreen'],
  ['unicode-cjk', '覆盖率', '日本語のテキスト', 'green'],
  ['unicode-emoji', '🚀 launch', 'ok ✓ 😀 done', 'brightgreen'],
  ['unicode-guessed', 'ÿſ', 'עברית العربية 한국어', 'blue'],
  ['unicode-astral-first', '𐐨deseret', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'blue'],
  ['uppercasing', 'mixed Case', 'straße ǆ ﬁ ß', 'green'],
  ['social-style', 'github', 'stars 1.2k', 'blue'],
  ['lowercase-label', 'élan', 'x', 'red'],
  ['punctuation', "!#$%()*+,-./:;=?@[\\]^_`{|}~", 'a-b_c.d', 'blue'],
  ['spaces', 'many   spaces', 'a  b   c', 'grey'],
  ['single-chars', 'l', 'W', 'red'],
]

function ensureInstalled() {
  const pkgJson = path.join(pkgDir, 'package.json')
  if (fs.existsSync(pkgJson)) {
    const installed = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version
    if (installed === BADGE_MAKER_VERSION) return
  }
  fs.mkdirSync(cacheDir, { recursive: true })
  fs.writeFileSync(
    path.join(cacheDir, 'package.json'),
    JSON.stringify(
      { private: true, dependencies: { 'badge-maker': BADGE_MAKER_VERSION } },
      null,
      2,
    ) + '\n',
  )
  process.stderr.write(`installing badge-maker@${BADGE_MAKER_VERSION} into ${cacheDir}\n`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', cacheDir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const installed = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version
  if (installed !== BADGE_MAKER_VERSION) {
    throw new Error(`expected badge-maker ${BADGE_MAKER_VERSION}, got ${installed}`)
  }
}

async function loadMakeBadge() {
  const mod = await import(pathToFileURL(path.join(pkgDir, 'lib', 'index.js')).href)
  return mod.makeBadge
}

function toFormat({ label, message, color, style, labelColor }) {
  const format = { label, message, color, style }
  if (labelColor !== undefined && labelColor !== null) format.labelColor = labelColor
  return format
}

async function renderStdin() {
  const makeBadge = await loadMakeBadge()
  const input = JSON.parse(fs.readFileSync(0, 'utf8'))
  const out = input.map(c => makeBadge(toFormat(c)))
  process.stdout.write(JSON.stringify(out))
}

async function renderGoldens() {
  const makeBadge = await loadMakeBadge()
  fs.mkdirSync(goldDir, { recursive: true })
  for (const f of fs.readdirSync(goldDir)) {
    if (f.endsWith('.svg')) fs.unlinkSync(path.join(goldDir, f))
  }
  const table = []
  for (const [name, label, message, color, labelColor] of CASES) {
    for (const style of STYLES) {
      const c = { name: `${name}--${style}`, label, message, color, style }
      if (labelColor !== undefined) c.labelColor = labelColor
      const svg = makeBadge(toFormat(c))
      c.file = `${c.name}.svg`
      fs.writeFileSync(path.join(goldDir, c.file), svg)
      table.push(c)
    }
  }
  const meta = { generator: 'scripts/badges/render_goldens.mjs', badgeMaker: BADGE_MAKER_VERSION }
  fs.writeFileSync(
    path.join(goldDir, 'cases.json'),
    JSON.stringify({ ...meta, cases: table }, null, 1) + '\n',
  )
  process.stderr.write(`wrote ${table.length} golden badges to ${goldDir}\n`)
}

const args = process.argv.slice(2)
ensureInstalled()
if (args.includes('--install')) {
  // done
} else if (args.includes('--stdin')) {
  await renderStdin()
} else {
  await renderGoldens()
}

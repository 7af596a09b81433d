"""A udev rules interpreter for the simulated boot: the subset the collection's and its peers' rules use.

Pure Python and independent of the simulated kernel: ``apply`` runs parsed rules against one event
through a small context object (``EventContext`` names what it must answer), so the unit tests can
drive it with a dictionary.

Supported, as udev(7) describes them:

- match keys ``ACTION``, ``SUBSYSTEM``, ``KERNEL``, ``DEVPATH``, ``DRIVER``, ``ENV{X}``, ``ATTR{x}``
  with ``==`` and ``!=`` (shell globs, ``|`` between alternatives); ``TEST`` (``==``/``!=``; a path
  without a leading ``/`` is below the device); ``PROGRAM`` (a match on its exit status, its output
  becomes ``%c``);
- ``GOTO`` and ``LABEL`` (forward, within one file, as udev);
- assignments ``RUN+=``/``RUN=``, ``RUN{program}``, ``RUN{builtin}+="kmod load ..."`` (recorded, no
  module is loaded: the simulated kernel has its drivers), ``IMPORT{program}=`` (its ``KEY=VALUE``
  lines become properties, synchronously), ``ENV{X}=``/``+=``, ``TAG+=``, ``ATTR{x}=`` (written at
  once, as udev does);
- substitutions ``$kernel``/``%k``, ``$devpath``/``%p``, ``$env{X}``/``%E{X}``, ``$attr{x}``/``%s{x}``,
  ``$result``/``%c``, ``%%``, ``$$``.

A line holding anything else (another key, operator or substitution) is skipped whole, with a
warning naming the file and line: a rule the simulator does not understand is visible, never
silently half-applied.
"""

import fnmatch
import os
import re

MATCH_KEYS = ('ACTION', 'SUBSYSTEM', 'KERNEL', 'DEVPATH', 'DRIVER', 'ENV', 'ATTR', 'TEST', 'PROGRAM')
# key -> whether it takes {attribute}
KEYS = {'ACTION': False, 'SUBSYSTEM': False, 'KERNEL': False, 'DEVPATH': False, 'DRIVER': False, 'ENV': True,
        'ATTR': True, 'TEST': False, 'PROGRAM': False, 'GOTO': False, 'LABEL': False, 'RUN': None, 'IMPORT': True,
        'TAG': False}
_TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_SUBST = re.compile(r'\$(kernel|devpath|result|env\{[^}]*\}|attr\{[^}]*\}|\$)|%(k|p|c|E\{[^}]*\}|s\{[^}]*\}|%)'
                    r'|(\$[a-zA-Z{]|%.)')


class Rule(object):
    """One rule line: its tokens (key, attribute, operator, value) and where it came from."""

    def __init__(self, source, lineno, tokens):
        self.source = source
        self.lineno = lineno
        self.tokens = tokens

    @property
    def where(self):
        """``file:line``."""
        return '%s:%d' % (self.source, self.lineno)

    def label(self):
        """The LABEL this line defines, or None."""
        for key, _attr, _op, value in self.tokens:
            if key == 'LABEL':
                return value
        return None


class RuleSet(object):
    """The parsed rule files, in the order udev reads them, and the warnings of parsing."""

    def __init__(self):
        self.rules = []
        self.warnings = []
        self.files = []

    def add_text(self, text, source):
        """Parse one file's text and append its rules."""
        rules, warnings = parse(text, source)
        self.files.append(source)
        self.rules.extend(rules)
        self.warnings.extend(warnings)


def rule_files(root, dirs=('usr/lib/udev/rules.d', 'lib/udev/rules.d', 'run/udev/rules.d', 'etc/udev/rules.d'),
               extra=()):
    """The rule files udev reads below ``root``: every ``*.rules`` of ``dirs`` by name, a later directory's
    file replacing an earlier one of the same name (/etc over /run over /lib); ``extra`` are (name, path)
    pairs (the simulator's own system rules) that any file of the same name below ``root`` replaces."""
    chosen = dict(extra)
    for d in dirs:
        base = os.path.join(root, d)
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            if name.endswith('.rules'):
                chosen[name] = os.path.join(base, name)
    return [(name, chosen[name]) for name in sorted(chosen)]


def load(files):
    """A RuleSet of (name, path) pairs; an empty or /dev/null file masks the name, as udev."""
    rs = RuleSet()
    for name, path in files:
        try:
            with open(path) as f:
                text = f.read()
        except OSError as exc:
            rs.warnings.append('%s: cannot read: %s' % (path, exc))
            continue
        rs.add_text(text, path)
    return rs


def logical_lines(text):
    """(line number, text) of each rule line: comments and blank lines dropped, ``\\`` continuations joined."""
    out, buf, start = [], '', None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if start is None:
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            start = n
        if line.endswith('\\'):
            buf += line[:-1] + ' '
            continue
        out.append((start, (buf + line).strip()))
        buf, start = '', None
    if start is not None:
        out.append((start, buf.strip()))
    return out


def parse(text, source='<rules>'):
    """The rules of a file and the warnings for the lines skipped."""
    rules, warnings = [], []
    for lineno, line in logical_lines(text):
        tokens, pos, problem = [], 0, None
        while pos < len(line):
            m = _TOKEN.match(line, pos)
            if not m:
                problem = 'cannot parse %r' % line[pos:]
                break
            key, attr, op, value = m.group(1), m.group(2), m.group(3), m.group(4).replace('\\"', '"')
            pos = m.end()
            problem = check_token(key, attr, op, value)
            if problem:
                break
            tokens.append((key, attr, op, value))
        if problem:
            warnings.append('%s:%d: line skipped, %s: %s' % (source, lineno, problem, line))
            continue
        rules.append(Rule(source, lineno, tokens))
    return rules, warnings


def check_token(key, attr, op, value):
    """Why a token is outside the supported subset, or None."""
    if key not in KEYS:
        return 'key %s not supported' % key
    if KEYS[key] is False and attr is not None:
        return '%s{%s} not supported' % (key, attr)
    if KEYS[key] is True and not attr:
        return '%s needs {...}' % key
    if key in ('ACTION', 'SUBSYSTEM', 'KERNEL', 'DEVPATH', 'DRIVER', 'TEST') and op not in ('==', '!='):
        return '%s%s not supported' % (key, op)
    if key == 'PROGRAM' and op not in ('==', '!=', '='):
        return 'PROGRAM%s not supported' % op
    if key in ('ENV', 'ATTR') and op not in ('==', '!=', '=', '+=') or key == 'ATTR' and op == '+=':
        return '%s%s not supported' % (key, op)
    if key in ('GOTO', 'LABEL') and op != '=':
        return '%s%s not supported' % (key, op)
    if key == 'TAG' and op != '+=':
        return 'TAG%s not supported' % op
    if key == 'RUN':
        if attr not in (None, 'program', 'builtin') or op not in ('+=', '='):
            return 'RUN{%s}%s not supported' % (attr, op)
        if attr == 'builtin' and not value.startswith('kmod load'):
            return 'RUN{builtin} %r not supported' % value.split(' ')[0]
    if key == 'IMPORT' and (attr != 'program' or op not in ('=', '+=')):
        return 'IMPORT{%s}%s not supported' % (attr, op)
    formatted = key in ('TEST', 'PROGRAM', 'RUN', 'IMPORT') or key in ('ENV', 'ATTR') and op in ('=', '+=')
    for text in ([value] if formatted else []) + ([attr] if key == 'ATTR' else []):
        for m in _SUBST.finditer(text):
            if m.group(3):
                return 'substitution %r not supported' % m.group(3)
    return None


def glob_match(pattern, value):
    """udev's pattern match: ``|`` separates alternatives, each a shell glob (``*`` crosses ``/``)."""
    value = value or ''
    return any(fnmatch.fnmatchcase(value, alt) for alt in pattern.split('|'))


class EventContext(object):
    """What ``apply`` needs of an event; the boot and the unit tests each give one.

    ``props`` (a dict: the event's properties, changed in place), and methods ``attr(name)`` (the
    attribute's text, trailing white space removed, None if unreadable), ``test(path)`` (whether a
    path exists; relative to the device if not absolute), ``program(cmd)`` ((exit status, stdout)),
    ``write_attr(name, value)``, ``driver()`` and ``warn(text)``.
    """


class Outcome(object):
    """What the rules decided for one event: programs to RUN afterwards, tags, the modules asked for."""

    def __init__(self):
        self.run = []
        self.tags = set()
        self.kmod = []
        self.matched = []


def substitute(ctx, text, result):
    """Apply udev's substitutions to ``text``."""
    def one(m):
        name = m.group(1) or m.group(2)
        if name in ('kernel', 'k'):
            return os.path.basename(ctx.props.get('DEVPATH', ''))
        if name in ('devpath', 'p'):
            return ctx.props.get('DEVPATH', '')
        if name in ('result', 'c'):
            return result or ''
        if name in ('$', '%'):
            return name
        if name.startswith(('env{', 'E{')):
            return ctx.props.get(name[name.index('{') + 1:-1], '')
        if name.startswith(('attr{', 's{')):
            return ctx.attr(name[name.index('{') + 1:-1]) or ''
        return m.group(0)
    return _SUBST.sub(one, text)


def _value(ctx, key, attr):
    """The value a match key compares: None where it cannot be read (the line then fails, as udev)."""
    if key == 'ACTION':
        return ctx.props.get('ACTION', '')
    if key == 'SUBSYSTEM':
        return ctx.props.get('SUBSYSTEM', '')
    if key == 'KERNEL':
        return os.path.basename(ctx.props.get('DEVPATH', ''))
    if key == 'DEVPATH':
        return ctx.props.get('DEVPATH', '')
    if key == 'DRIVER':
        return ctx.props.get('DRIVER') or ctx.driver() or ''
    if key == 'ENV':
        return ctx.props.get(attr, '')
    if key == 'ATTR':
        return ctx.attr(attr)
    raise ValueError(key)


def apply(ruleset, ctx):
    """Run every rule against the event of ``ctx``; return an Outcome (RUN is left to the caller)."""
    out = Outcome()
    result = None
    rules = ruleset.rules
    i = 0
    while i < len(rules):
        rule = rules[i]
        i += 1
        matched = True
        for key, attr, op, value in rule.tokens:
            if key not in MATCH_KEYS or key == 'ENV' and op not in ('==', '!=') or \
                    key == 'ATTR' and op not in ('==', '!='):
                continue
            if key == 'TEST':
                ok = ctx.test(substitute(ctx, value, result))
            elif key == 'PROGRAM':
                rc, stdout = ctx.program(substitute(ctx, value, result))
                ok = rc == 0
                if ok:
                    result = stdout.rstrip('\n')
            else:
                have = _value(ctx, key, substitute(ctx, attr, result) if attr else attr)
                if have is None:
                    matched = False
                    break
                ok = glob_match(value, have)
            if ok != (op in ('==', '=')):
                matched = False
                break
        if not matched:
            continue
        if any(key != 'LABEL' for key, _a, _o, _v in rule.tokens):
            out.matched.append(rule.where)
        goto = None
        for key, attr, op, value in rule.tokens:
            if key == 'ENV' and op in ('=', '+='):
                text = substitute(ctx, value, result)
                old = ctx.props.get(attr)
                if op == '+=' and old:
                    text = old + ' ' + text
                if text:
                    ctx.props[attr] = text
                else:
                    ctx.props.pop(attr, None)
            elif key == 'ATTR' and op == '=':
                ctx.write_attr(substitute(ctx, attr, result), substitute(ctx, value, result))
            elif key == 'TAG':
                out.tags.add(value)
            elif key == 'IMPORT':
                rc, stdout = ctx.program(substitute(ctx, value, result))
                if rc == 0:
                    for line in stdout.splitlines():
                        name, eq, val = line.partition('=')
                        if eq and name.strip():
                            ctx.props[name.strip()] = val.strip().strip('"\'')
            elif key == 'RUN':
                if op == '=':
                    out.run, out.kmod = [], []
                if attr == 'builtin':
                    out.kmod.extend(substitute(ctx, value, result).split()[2:])
                else:
                    out.run.append(substitute(ctx, value, result))
            elif key == 'GOTO':
                goto = value
        if goto is not None:
            target = next((j for j in range(i, len(rules)) if rules[j].source == rule.source
                           and rules[j].label() == goto), None)
            if target is None:
                ctx.warn('%s: GOTO="%s" has no LABEL after it in the file: ignored' % (rule.where, goto))
            else:
                i = target
    return out

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate kvmage's QMP code and reference from qapi/*.json.

The schema uses QEMU's QAPI syntax (Python-like literals, '#' comments,
'##' doc blocks).  Output, all into --output-dir, names prefixed by
--prefix:

  qapi-types.[ch]      enums, structs, lists and their free functions
  qapi-visit.[ch]      JSON tree <-> C conversion with QEMU's type checks
  qapi-commands.[ch]   qmp_<name>() prototypes, marshallers, command table
  qapi-events.[ch]     qapi_event_send_<name>()
  qapi-introspect.c    query-qmp-schema data in QEMU's format
  qmp-ref.rst          the protocol reference

Commands are always "boxed", as QEMU's 'boxed': true: a command with
arguments must say 'boxed': true, and its body gets one pointer to the
generated argument struct (q_obj_<command>_arg for inline 'data', or
the named struct when 'data' names one) instead of one parameter per
member:

  bool qmp_<name>(q_obj_<name>_arg *arg[, <ret type> *ret], GError **errp);

A command with arguments but without 'boxed': true is an error, so a
schema copied from QEMU fails loudly rather than generating another
calling convention.  'boxed' changes only the C code: introspection
(query-qmp-schema) and qmp-ref.rst are the same with or without it.

Only the Python standard library is used.
"""

import argparse
import json
import os
import re
import sys

BUILTINS = {
    # name: (C type, JSON type for introspection, "expected:" word)
    'str': ('char *', 'string'),
    'int': ('int64_t', 'int'),
    'bool': ('bool', 'boolean'),
    'number': ('double', 'number'),
    'any': ('JsonNode *', 'value'),
}

ALLOWED_KEYS = {
    'enum': {'enum', 'data', 'prefix'},
    'struct': {'struct', 'data'},
    'union': {'union', 'base', 'discriminator', 'data'},
    'command': {'command', 'data', 'returns', 'gen', 'allow-oob',
                'allow-preconfig', 'boxed'},
    'event': {'event', 'data'},
}

C_KEYWORDS = {'default', 'case', 'char', 'int', 'bool', 'double', 'enum',
              'struct', 'union', 'if', 'else', 'for', 'while', 'do',
              'switch', 'return', 'static', 'const', 'type', 'unsigned'}


class SchemaError(Exception):
    def __init__(self, where, msg):
        super().__init__('%s: %s' % (where, msg))


# ---------------------------------------------------------------- reading

TOKEN_RE = re.compile(r"""\s*(?:
      (?P<comment>\#[^\n]*)
    | (?P<punct>[{}\[\]:,])
    | '(?P<str>[^'\\\n]*)'
    | (?P<kw>true|false)
    )""", re.X)


class Expr:
    def __init__(self, value, doc, where):
        self.value = value
        self.doc = doc
        self.where = where


def split_exprs(path):
    """Yield Expr for each top-level expression, with its doc block."""
    text = open(path, encoding='utf-8').read()
    pos, line = 0, 1
    doc_lines, in_doc, pending_doc = [], False, None
    stack, cur = [], None
    key = None
    result = []

    def where():
        return '%s:%d' % (path, line)

    while pos < len(text):
        if text[pos] == '\n':
            line += 1
            pos += 1
            continue
        if text[pos] in ' \t\r':
            pos += 1
            continue
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise SchemaError(where(), 'syntax error near %r'
                              % text[pos:pos + 20])
        pos = m.end()
        if m.group('comment') is not None:
            c = m.group('comment')
            if c == '##':
                if in_doc:
                    pending_doc = doc_lines
                    in_doc = False
                elif not stack:
                    in_doc, doc_lines = True, []
                continue
            if in_doc:
                doc_lines.append(c[2:] if c.startswith('# ') else c[1:])
            continue
        if in_doc:
            raise SchemaError(where(), 'unterminated doc comment')
        if m.group('punct'):
            p = m.group('punct')
            if p in '{[':
                new = {} if p == '{' else []
                if stack:
                    add_value(stack[-1], new, key, where)
                    key = None
                else:
                    start_line = line
                stack.append(new)
                cur = new
            elif p in '}]':
                if not stack:
                    raise SchemaError(where(), 'unbalanced %s' % p)
                done = stack.pop()
                if not stack:
                    result.append(Expr(done, pending_doc,
                                       '%s:%d' % (path, start_line)))
                    pending_doc = None
            elif p == ':':
                if not isinstance(stack[-1], dict) or key is None:
                    raise SchemaError(where(), 'misplaced colon')
            continue
        value = m.group('str') if m.group('str') is not None \
            else m.group('kw') == 'true'
        if not stack:
            raise SchemaError(where(), 'value outside an expression')
        if isinstance(stack[-1], dict) and key is None:
            if not isinstance(value, str):
                raise SchemaError(where(), 'key must be a string')
            key = value
            if key in stack[-1]:
                raise SchemaError(where(), 'duplicate key %r' % key)
            continue
        add_value(stack[-1], value, key, where)
        key = None
    if stack or in_doc:
        raise SchemaError(path, 'unexpected end of file')
    return result


def add_value(container, value, key, where):
    if isinstance(container, dict):
        if key is None:
            raise SchemaError(where(), 'value without key')
        container[key] = value
    else:
        container.append(value)


def read_schema(path, seen=None):
    seen = set() if seen is None else seen
    exprs = []
    for e in split_exprs(path):
        if 'include' in e.value:
            inc = os.path.join(os.path.dirname(path), e.value['include'])
            if inc not in seen:
                seen.add(inc)
                exprs += read_schema(inc, seen)
        else:
            exprs.append(e)
    return exprs


# ---------------------------------------------------------------- docs

SECTIONS = ('Returns', 'Errors', 'Since', 'Example', 'Note', 'Notes')


class Doc:
    def __init__(self, lines, where):
        self.where = where
        if not lines or not re.match(r'@[\w.-]+:\s*$', lines[0]):
            raise SchemaError(where, 'doc block must start with "@name:"')
        self.name = lines[0][1:].strip()[:-1]
        self.body, self.members, self.sections = [], {}, []
        target = self.body
        for ln in lines[1:]:
            m = re.match(r'@([\w.-]+):\s*(.*)$', ln)
            s = re.match(r'(%s):\s*(.*)$' % '|'.join(SECTIONS), ln)
            if m and not self.sections:
                target = [m.group(2)]
                self.members[m.group(1)] = target
            elif s:
                target = [s.group(2)] if s.group(2) else []
                self.sections.append((s.group(1), target))
            else:
                target.append(ln)

    def text(self, lines):
        return '\n'.join(lines).strip()


# ---------------------------------------------------------------- model

class Member:
    def __init__(self, name, typ, optional, features):
        self.name = name
        self.type = typ          # str name or [name]
        self.optional = optional
        self.features = features

    @property
    def c_name(self):
        # QEMU's downstream extensions: __RFQDN_name, dots included
        n = self.name.replace('-', '_').replace('.', '_')
        return 'q_' + n if n in C_KEYWORDS else n


class Entity:
    def __init__(self, kind, name, expr, doc):
        self.kind, self.name, self.expr, self.doc = kind, name, expr, doc
        self.members = []


def parse_members(data, where):
    out = []
    for key, val in (data or {}).items():
        features = []
        if isinstance(val, dict):
            features = val.get('features', [])
            val = val['type']
        optional = key.startswith('*')
        name = key[1:] if optional else key
        if isinstance(val, list):
            if len(val) != 1:
                raise SchemaError(where, 'array type needs one element')
        out.append(Member(name, val, optional, features))
    return out


def c_ident(name):
    return name.replace('-', '_')


def enum_prefix(name):
    s = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name)
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', s)
    return c_ident(s).upper()


class Schema:
    def __init__(self, exprs):
        self.entities = []
        self.types = {}
        for e in exprs:
            self.add(e)
        self.check()

    def add(self, e):
        v = e.value
        kinds = [k for k in ('enum', 'struct', 'union', 'command', 'event')
                 if k in v]
        if len(kinds) != 1:
            raise SchemaError(e.where, 'unknown expression')
        kind = kinds[0]
        name = v[kind]
        extra = set(v) - ALLOWED_KEYS[kind]
        if extra:
            raise SchemaError(e.where, '%s: unknown key(s) %s'
                              % (name, ', '.join(sorted(extra))))
        if not e.doc:
            raise SchemaError(e.where, '%s lacks a doc comment' % name)
        doc = Doc(e.doc, e.where)
        if doc.name != name:
            raise SchemaError(e.where, 'doc block is for %s' % doc.name)
        ent = Entity(kind, name, v, doc)
        ent.data_type = None
        if kind == 'enum':
            ent.values = v['data']
            ent.prefix = v.get('prefix', enum_prefix(name))
        elif kind == 'union':
            ent.members = parse_members(v['base'], e.where)
            ent.tag = v['discriminator']
            ent.branches = v['data']
        elif kind != 'command' or not isinstance(v.get('data'), str):
            ent.members = parse_members(v.get('data'), e.where)
        if kind == 'command':
            if isinstance(v.get('data'), str):
                ent.data_type = v['data']
            ent.boxed = v.get('boxed', False)
            if ent.boxed not in (True, False):
                raise SchemaError(e.where, "%s: 'boxed' must be true or "
                                  "false" % name)
            if 'data' in v and not ent.boxed and v.get('gen', True):
                raise SchemaError(e.where, "%s: a command with arguments "
                                  "needs 'boxed': true (the only calling "
                                  "convention)" % name)
            ent.returns = v.get('returns')
            ent.gen = v.get('gen', True)
            ent.allow_oob = v.get('allow-oob', False)
        if name in self.types or any(x.name == name
                                     for x in self.entities):
            raise SchemaError(e.where, 'duplicate definition %s' % name)
        if kind in ('enum', 'struct', 'union'):
            self.types[name] = ent
        self.entities.append(ent)

    def check_type(self, typ, where):
        if isinstance(typ, list):
            typ = typ[0]
        if typ not in BUILTINS and typ not in self.types:
            raise SchemaError(where, 'unknown type %s' % typ)

    def check(self):
        for ent in self.entities:
            where = ent.doc.where
            documented = set(ent.doc.members)
            names = [m.name for m in ent.members]
            if ent.kind == 'enum':
                names = list(ent.values)
            for n in names:
                if n not in documented:
                    raise SchemaError(where, '%s: member %s is not '
                                      'documented' % (ent.name, n))
            for n in documented - set(names):
                raise SchemaError(where, '%s: documents unknown member %s'
                                  % (ent.name, n))
            for m in ent.members:
                self.check_type(m.type, where)
            if ent.kind == 'command' and ent.returns:
                self.check_type(ent.returns, where)
            if ent.kind == 'command' and ent.data_type:
                t = self.types.get(ent.data_type)
                if not t or t.kind != 'struct':
                    raise SchemaError(where, '%s: data %s is not a struct'
                                      % (ent.name, ent.data_type))

    def of_kind(self, *kinds):
        return [e for e in self.entities if e.kind in kinds]


# ---------------------------------------------------------------- C types

def elem_name(typ):
    return typ[0] if isinstance(typ, list) else typ


def type_key(typ):
    """C base name of a type: 'StatusInfo', 'strList', ..."""
    return typ[0] + 'List' if isinstance(typ, list) else typ


class CGen:
    def __init__(self, schema, prefix):
        self.s = schema
        self.prefix = prefix
        self.lists = []
        for ent in schema.entities:
            if ent.kind in ('union', 'enum') or \
                    (ent.kind == 'command' and not ent.gen):
                continue
            typs = [m.type for m in ent.members]
            if ent.kind == 'command' and ent.returns:
                typs.append(ent.returns)
            for t in typs:
                if isinstance(t, list) and t not in self.lists:
                    self.lists.append(t)

    def kind(self, typ):
        if isinstance(typ, list):
            return 'list'
        if typ in BUILTINS:
            return typ
        return self.s.types[typ].kind

    def ctype(self, typ):
        k = self.kind(typ)
        if k == 'list':
            return type_key(typ) + ' *'
        if k in BUILTINS:
            return BUILTINS[k][0]
        if k == 'enum':
            return typ
        return typ + ' *'

    def decl(self, typ, name):
        t = self.ctype(typ)
        return t + name if t.endswith('*') else '%s %s' % (t, name)

    def free_stmt(self, typ, expr):
        k = self.kind(typ)
        if k == 'str':
            return 'g_free(%s);' % expr
        if k == 'any':
            return 'if (%s)\n\t\tjson_node_unref(%s);' % (expr, expr)
        if k in ('list', 'struct'):
            return 'qapi_free_%s(%s);' % (type_key(typ), expr)
        return None

    def out_expr(self, typ, expr):
        k = self.kind(typ)
        if k == 'enum':
            return 'qjson_new_string(%s_str(%s))' % (typ, expr)
        if k in BUILTINS or k in ('list', 'struct'):
            return 'qapi_out_%s(%s)' % (type_key(typ), expr)
        raise SchemaError(typ, 'cannot generate output for %s' % k)

    def in_call(self, typ, node, path, out):
        k = self.kind(typ)
        if k == 'enum':
            return ('qapi_in_enum(%s, %s, %s_lookup, %s__MAX, (int *)%s, '
                    'errp)' % (node, path, typ, self.s.types[typ].prefix, out))
        return 'qapi_in_%s(%s, %s, %s, errp)' % (type_key(typ), node, path,
                                                 out)

    def structs(self):
        """Struct-like types to generate: structs and implicit args."""
        out = [(e.name, e.members) for e in self.s.of_kind('struct')]
        for e in self.s.of_kind('command', 'event'):
            if e.members:
                out.append((self.arg_type(e), e.members))
        return out

    def arg_type(self, ent):
        if ent.kind == 'command' and ent.data_type:
            return ent.data_type
        return 'q_obj_%s_arg' % c_ident(ent.name)

    def has_args(self, ent):
        return bool(ent.members) or bool(getattr(ent, 'data_type', None))


def banner(what):
    return ('/* SPDX-License-Identifier: GPL-2.0-or-later */\n'
            '/* %s -- generated by scripts/qapi-gen.py, do not edit */\n'
            % what)


def gen_types(g, out_h, out_c, pfx):
    h = [banner('QAPI types'), '#ifndef %sQAPI_TYPES_H' % c_ident(pfx).upper(),
         '#define %sQAPI_TYPES_H' % c_ident(pfx).upper(), '',
         '#include <stdbool.h>', '#include <stdint.h>',
         '#include <json-glib/json-glib.h>', '']
    c = [banner('QAPI types'), '#include "%sqapi-types.h"' % pfx, '']
    for e in g.s.of_kind('enum'):
        p = e.prefix
        h.append('typedef enum %s {' % e.name)
        h += ['\t%s_%s,' % (p, c_ident(v).upper()) for v in e.values]
        h += ['\t%s__MAX,' % p, '} %s;' % e.name, '',
              'extern const char *const %s_lookup[%s__MAX + 1];'
              % (e.name, p),
              'const char *%s_str(%s v);' % (e.name, e.name), '']
        c.append('const char *const %s_lookup[%s__MAX + 1] = {'
                 % (e.name, p))
        c += ['\t"%s",' % v for v in e.values] + ['\tNULL,', '};', '']
        c += ['const char *%s_str(%s v)' % (e.name, e.name), '{',
              '\treturn (unsigned)v < %s__MAX ? %s_lookup[v] : "";'
              % (p, e.name), '}', '']
    for name, _ in g.structs():
        h.append('typedef struct %s %s;' % (name, name))
    for t in g.lists:
        h.append('typedef struct %s %s;' % (type_key(t), type_key(t)))
    h.append('')
    for name, members in g.structs():
        h.append('struct %s {' % name)
        for m in members:
            if m.optional:
                h.append('\tbool has_%s;' % m.c_name)
            h.append('\t%s;' % g.decl(m.type, m.c_name))
        if not members:
            h.append('\tchar q_unused;')
        h += ['};', '',
              'void qapi_free_members_%s(%s *obj);' % (name, name),
              'void qapi_free_%s(%s *obj);' % (name, name), '']
        c += ['void qapi_free_members_%s(%s *obj)' % (name, name), '{']
        for m in members:
            st = g.free_stmt(m.type, 'obj->' + m.c_name)
            if st:
                c.append('\t' + st)
        c += ['}', '', 'void qapi_free_%s(%s *obj)' % (name, name), '{',
              '\tif (!obj)', '\t\treturn;',
              '\tqapi_free_members_%s(obj);' % name, '\tg_free(obj);',
              '}', '']
    for t in g.lists:
        k = type_key(t)
        h += ['struct %s {' % k, '\t%s *next;' % k,
              '\t%s;' % g.decl(t[0], 'value'), '};', '',
              'void qapi_free_%s(%s *list);' % (k, k), '']
        st = g.free_stmt(t[0], 'list->value')
        c += ['void qapi_free_%s(%s *list)' % (k, k), '{',
              '\t%s *next;' % k, '', '\tfor (; list; list = next) {',
              '\t\tnext = list->next;']
        if st:
            c.append('\t\t' + st.replace('\n\t', '\n\t\t\t'))
        c += ['\t\tg_free(list);', '\t}', '}', '']
    h += ['#endif', '']
    write(out_h, h)
    write(out_c, c)


def gen_visit(g, out_h, out_c, pfx):
    h = [banner('QAPI visitors'), '#ifndef %sQAPI_VISIT_H' % c_ident(pfx).upper(),
         '#define %sQAPI_VISIT_H' % c_ident(pfx).upper(), '',
         '#include "qapi/qapi-visit-core.h"',
         '#include "%sqapi-types.h"' % pfx, '']
    c = [banner('QAPI visitors'), '#include "%sqapi-visit.h"' % pfx, '']
    for name, members in g.structs():
        h += ['bool qapi_in_members_%s(JsonObject *obj, const QapiPath '
              '*path,' % name, '\t\t%s *out, GError **errp);' % name,
              'bool qapi_in_%s(JsonNode *node, const QapiPath *path, '
              '%s **out,' % (name, name), '\t\tGError **errp);',
              'void qapi_out_members_%s(JsonObject *obj, const %s *v);'
              % (name, name),
              'JsonNode *qapi_out_%s(const %s *v);' % (name, name), '']
        c += gen_struct_in(g, name, members)
        c += gen_struct_out(g, name, members)
    for t in g.lists:
        k = type_key(t)
        h += ['bool qapi_in_%s(JsonNode *node, const QapiPath *path, '
              '%s **out,' % (k, k), '\t\tGError **errp);',
              'JsonNode *qapi_out_%s(const %s *list);' % (k, k), '']
        c += gen_list(g, t)
    h += ['#endif', '']
    write(out_h, h)
    write(out_c, c)


def gen_struct_in(g, name, members):
    c = ['bool qapi_in_members_%s(JsonObject *obj, const QapiPath *path,'
         % name, '\t\t%s *out, GError **errp)' % name, '{',
         '\tstatic const char *const known[] = {']
    c += ['\t\t"%s",' % m.name for m in members]
    c += ['\t\tNULL,', '\t};', '\tJsonNode *m;', '\tQapiPath p;', '',
          '\t(void)m;', '\t(void)p;']
    for m in members:
        c += ['\tm = json_object_get_member(obj, "%s");' % m.name,
              '\tqapi_path_member(&p, path, "%s");' % m.name]
        call = g.in_call(m.type, 'm', '&p', '&out->' + m.c_name)
        if m.optional:
            c += ['\tif (m) {', '\t\tout->has_%s = true;' % m.c_name,
                  '\t\tif (!%s)' % call, '\t\t\treturn false;', '\t}']
        else:
            c += ['\tif (!m) {', '\t\tqapi_err_missing(&p, errp);',
                  '\t\treturn false;', '\t}',
                  '\tif (!%s)' % call, '\t\treturn false;']
    c += ['\treturn qapi_in_check_unexpected(obj, path, known, errp);',
          '}', '',
          'bool qapi_in_%s(JsonNode *node, const QapiPath *path, '
          '%s **out,' % (name, name), '\t\tGError **errp)', '{',
          '\tif (!qapi_in_check_type(node, path, JSON_NODE_OBJECT, errp))',
          '\t\treturn false;', '\t*out = g_new0(%s, 1);' % name,
          '\treturn qapi_in_members_%s(json_node_get_object(node), path,'
          % name, '\t\t\t\t  *out, errp);', '}', '']
    return c


def gen_struct_out(g, name, members):
    c = ['void qapi_out_members_%s(JsonObject *obj, const %s *v)'
         % (name, name), '{']
    for m in members:
        set_ = 'json_object_set_member(obj, "%s", %s);' % (
            m.name, g.out_expr(m.type, 'v->' + m.c_name))
        if m.optional:
            c += ['\tif (v->has_%s)' % m.c_name, '\t\t' + set_]
        else:
            c.append('\t' + set_)
    if not members:
        c += ['\t(void)obj;', '\t(void)v;']
    c += ['}', '', 'JsonNode *qapi_out_%s(const %s *v)' % (name, name),
          '{', '\tJsonObject *obj;', '\tJsonNode *node = '
          'qjson_new_object(&obj);', '',
          '\tif (v)', '\t\tqapi_out_members_%s(obj, v);' % name,
          '\treturn node;', '}', '']
    return c


def gen_list(g, t):
    k = type_key(t)
    elem_out = g.out_expr(t[0], 'list->value')
    call = g.in_call(t[0], 'json_array_get_element(arr, i)', '&p',
                     '&e->value')
    return ['bool qapi_in_%s(JsonNode *node, const QapiPath *path, '
            '%s **out,' % (k, k), '\t\tGError **errp)', '{',
            '\t%s **tail = out;' % k, '\tJsonArray *arr;', '\tguint i;', '',
            '\tif (!qapi_in_check_type(node, path, JSON_NODE_ARRAY, errp))',
            '\t\treturn false;', '\tarr = json_node_get_array(node);',
            '\tfor (i = 0; i < json_array_get_length(arr); i++) {',
            '\t\t%s *e = g_new0(%s, 1);' % (k, k), '\t\tQapiPath p;', '',
            '\t\t*tail = e;', '\t\ttail = &e->next;',
            '\t\tqapi_path_index(&p, path, i);',
            '\t\tif (!%s)' % call, '\t\t\treturn false;', '\t}',
            '\treturn true;', '}', '',
            'JsonNode *qapi_out_%s(const %s *list)' % (k, k), '{',
            '\tJsonArray *arr;', '\tJsonNode *node = qjson_new_array(&arr);',
            '', '\tfor (; list; list = list->next)',
            '\t\tjson_array_add_element(arr, %s);' % elem_out,
            '\treturn node;', '}', '']


def cmd_c_name(ent):
    return c_ident(ent.name)


def cmd_params(g, ent):
    ps = []
    if g.has_args(ent):
        ps.append('%s *arg' % g.arg_type(ent))
    if ent.returns:
        t = g.ctype(ent.returns)
        ps.append(t + ('*ret' if t.endswith('*') else ' *ret'))
    return ps + ['GError **errp']


def gen_commands(g, out_h, out_c, pfx):
    h = [banner('QMP commands'), '#ifndef %sQAPI_COMMANDS_H' % c_ident(pfx).upper(),
         '#define %sQAPI_COMMANDS_H' % c_ident(pfx).upper(), '',
         '#include "qapi/qmp-dispatch.h"', '#include "%sqapi-types.h"' % pfx,
         '',
         '/* Bodies live in the subsystem that owns the command. */']
    c = [banner('QMP commands'), '#include "%sqapi-commands.h"' % pfx,
         '#include "%sqapi-visit.h"' % pfx, '']
    table = []
    for e in g.s.of_kind('command'):
        cn = cmd_c_name(e)
        flags = 'QMP_CMD_ALLOW_OOB' if e.allow_oob else '0'
        table.append('\t{ "%s", qmp_marshal_%s, %s },' % (e.name, cn, flags))
        if not e.gen:
            h.append('void qmp_marshal_%s(JsonObject *args, JsonNode **ret,'
                     ' GError **errp);' % cn)
            continue
        h.append('bool qmp_%s(%s);' % (cn, ', '.join(cmd_params(g, e))))
        c += gen_marshal(g, e, cn)
    h += ['', 'extern const QmpCommandTable %sqmp_commands;'
          % c_ident(pfx), '', '#endif', '']
    c += ['static const QmpCommand command_list[] = {'] + table + ['};', '',
          'const QmpCommandTable %sqmp_commands = {' % c_ident(pfx),
          '\t.cmds = command_list,',
          '\t.len = G_N_ELEMENTS(command_list),', '};', '']
    write(out_h, h)
    write(out_c, c)


def gen_marshal(g, e, cn):
    c = ['static void qmp_marshal_%s(JsonObject *args, JsonNode **ret,'
         % cn, '\t\t\t\tGError **errp)', '{']
    call_args = []
    has_args = g.has_args(e)
    if has_args:
        c.append('\t%s arg = { 0 };' % g.arg_type(e))
        call_args.append('&arg')
    else:
        c.append('\tstatic const char *const known[] = { NULL };')
    if e.returns:
        c.append('\t%s;' % g.decl(e.returns, 'r = 0'
                                  if g.kind(e.returns) in BUILTINS
                                  else 'r = NULL'))
        call_args.append('&r')
    call_args.append('errp')
    c.append('\tbool ok;')
    c.append('')
    if has_args:
        c.append('\tok = qapi_in_members_%s(args, NULL, &arg, errp) &&'
                 % g.arg_type(e))
    else:
        c.append('\tok = qapi_in_check_unexpected(args, NULL, known, errp)'
                 ' &&')
    c.append('\t     qmp_%s(%s);' % (cn, ', '.join(call_args)))
    if e.returns:
        c += ['\tif (ok)', '\t\t*ret = %s;' % g.out_expr(e.returns, 'r')]
        st = g.free_stmt(e.returns, 'r')
        if st:
            c.append('\t' + st)
    else:
        c += ['\tif (ok)', '\t\t*ret = qjson_new_object(NULL);']
    if has_args:
        c.append('\tqapi_free_members_%s(&arg);' % g.arg_type(e))
    c += ['}', '']
    return c


def gen_events(g, out_h, out_c, pfx):
    h = [banner('QMP events'), '#ifndef %sQAPI_EVENTS_H' % c_ident(pfx).upper(),
         '#define %sQAPI_EVENTS_H' % c_ident(pfx).upper(), '',
         '#include "%sqapi-types.h"' % pfx, '']
    c = [banner('QMP events'), '#include "%sqapi-events.h"' % pfx,
         '#include "%sqapi-visit.h"' % pfx, '#include "qapi/qmp-event.h"',
         '']
    for e in g.s.of_kind('event'):
        fn = 'qapi_event_send_%s' % c_ident(e.name).lower()
        ps = []
        for m in e.members:
            if m.optional:
                ps.append('bool has_%s' % m.c_name)
            ps.append(g.decl(m.type, m.c_name))
        sig = 'void %s(%s)' % (fn, ', '.join(ps) or 'void')
        h.append(sig + ';')
        c += [sig, '{']
        if e.members:
            c += ['\tJsonObject *obj;',
                  '\tJsonNode *data = qjson_new_object(&obj);', '']
            for m in e.members:
                set_ = 'json_object_set_member(obj, "%s", %s);' % (
                    m.name, g.out_expr(m.type, m.c_name))
                if m.optional:
                    c += ['\tif (has_%s)' % m.c_name, '\t\t' + set_]
                else:
                    c.append('\t' + set_)
            c.append('\tqapi_event_emit("%s", data);' % e.name)
        else:
            c.append('\tqapi_event_emit("%s", NULL);' % e.name)
        c += ['}', '']
    h += ['', '#endif', '']
    write(out_h, h)
    write(out_c, c)


# ---------------------------------------------------------------- introspection

class Introspect:
    """Build query-qmp-schema's answer, naming types like QEMU does."""

    def __init__(self, schema):
        self.s = schema
        self.names = {}
        self.entries = []
        self.todo = []
        self.empty = self.name_of(None)

    def name_of(self, typ):
        if isinstance(typ, list):
            n = '[%s]' % self.name_of(typ[0])
            key = ('list', n)
        elif typ in BUILTINS:
            n, key = typ, ('builtin', typ)
        else:
            key = ('type', typ)
            n = self.names.get(key, str(len([k for k in self.names
                                               if k[0] in ('type', 'args')])))
        if key not in self.names:
            self.names[key] = n
            self.todo.append((key, typ))
        return n

    def args_name(self, ent):
        if getattr(ent, 'data_type', None):
            return self.name_of(ent.data_type)
        if not ent.members:
            return self.empty
        key = ('args', ent.name)
        if key not in self.names:
            n = str(len([k for k in self.names if k[0] in ('type', 'args')]))
            self.names[key] = n
            self.todo.append((key, ent))
        return self.names[key]

    def members(self, members):
        out = []
        for m in members:
            d = {'name': m.name, 'type': self.name_of(m.type)}
            if m.optional:
                d['default'] = None
            if m.features:
                d['features'] = m.features
            out.append(d)
        return out

    def build(self):
        for e in self.s.of_kind('command'):
            d = {'name': e.name, 'meta-type': 'command',
                 'arg-type': self.args_name(e),
                 'ret-type': self.name_of(e.returns) if e.returns
                 else self.empty}
            if e.allow_oob:
                d['allow-oob'] = True
            self.entries.append(d)
        for e in self.s.of_kind('event'):
            self.entries.append({'name': e.name, 'meta-type': 'event',
                                 'arg-type': self.args_name(e)})
        while self.todo:
            key, obj = self.todo.pop(0)
            self.entries.append(self.type_entry(key, obj))
        return self.entries

    def type_entry(self, key, obj):
        name = self.names[key]
        if key[0] == 'args':
            return {'name': name, 'meta-type': 'object',
                    'members': self.members(obj.members)}
        if key[0] == 'builtin':
            return {'name': name, 'meta-type': 'builtin',
                    'json-type': BUILTINS[obj][1]}
        if key[0] == 'list':
            return {'name': name, 'meta-type': 'array',
                    'element-type': self.name_of(obj[0])}
        if obj is None:
            return {'name': name, 'meta-type': 'object', 'members': []}
        ent = self.s.types[obj]
        if ent.kind == 'enum':
            return {'name': name, 'meta-type': 'enum',
                    'members': [{'name': v} for v in ent.values],
                    'values': list(ent.values)}
        d = {'name': name, 'meta-type': 'object',
             'members': self.members(ent.members)}
        if ent.kind == 'union':
            tag_type = [m.type for m in ent.members if m.name == ent.tag][0]
            d['tag'] = ent.tag
            d['variants'] = [
                {'case': v, 'type': self.name_of(ent.branches[v])
                 if v in ent.branches else self.empty}
                for v in self.s.types[tag_type].values]
        return d


def c_string(text):
    out = []
    for i in range(0, len(text), 64):
        chunk = text[i:i + 64].replace('\\', '\\\\').replace('"', '\\"')
        out.append('\t"%s"' % chunk)
    return '\n'.join(out)


def gen_introspect(schema, out_c, pfx):
    entries = Introspect(schema).build()
    text = json.dumps(entries, separators=(',', ':'))
    write(out_c, [banner('QMP introspection data'),
                  '#include "qapi/qmp-dispatch.h"', '',
                  'const char %sqapi_introspect_json[] =' % c_ident(pfx),
                  c_string(text) + ';', ''])


# ---------------------------------------------------------------- docs

def type_text(typ):
    return '[%s]' % typ[0] if isinstance(typ, list) else typ


def gen_rst(schema, out):
    lines = ['..', '   SPDX-License-Identifier: GPL-2.0-or-later', '',
             '..', '   Generated by scripts/qapi-gen.py from qapi/*.json;'
             ' do not edit.', '',
             'QMP reference', '=============', '',
             'Every command, event and type kvmage\'s QMP monitor accepts '
             'or sends.', 'See qmp.rst for the protocol itself.', '']
    groups = [('Commands', ('command',)), ('Events', ('event',)),
              ('Types', ('enum', 'struct', 'union'))]
    for title, kinds in groups:
        lines += [title, '-' * len(title), '']
        for e in schema.of_kind(*kinds):
            lines += rst_entity(e)
    write(out, lines)


def rst_entity(e):
    d = e.doc
    head = '``%s`` (%s)' % (e.name, e.kind)
    out = [head, '~' * len(head), '', d.text(d.body), '']
    label = {'command': 'Arguments', 'event': 'Data', 'enum': 'Values'}
    items = []
    if e.kind == 'enum':
        items = [(v, None, False) for v in e.values]
    else:
        items = [(m.name, type_text(m.type), m.optional) for m in e.members]
    if items:
        out += ['%s:' % label.get(e.kind, 'Members'), '']
        for name, typ, opt in items:
            desc = ' '.join(d.text(d.members[name]).split())
            t = ' (%s%s)' % (typ, ', optional' if opt else '') if typ else ''
            out.append('- ``%s``%s: %s' % (name, t, desc))
        out.append('')
    if e.kind == 'union':
        out += ['Discriminator: ``%s``; variants: %s.' % (
            e.tag, ', '.join('``%s`` (%s)' % kv
                             for kv in e.branches.items())), '']
    if e.kind == 'command' and e.data_type:
        out += ['Arguments: the members of ``%s``' % e.data_type, '']
    if e.kind == 'command':
        ret = type_text(e.returns) if e.returns else '{}'
        out += ['Returns: ``%s``' % ret, '']
    for sect, body in d.sections:
        if sect == 'Example':
            text = '\n'.join(body).strip('\n').split('\n')
            out += ['Example::', ''] + ['    ' + ln if ln.strip() else ''
                                         for ln in text] + ['']
        elif sect != 'Returns':
            out += ['%s: %s' % (sect, ' '.join(d.text(body).split())), '']
    return out


# ---------------------------------------------------------------- main

def write(path, lines):
    text = '\n'.join(lines)
    if not text.endswith('\n'):
        text += '\n'
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('schema')
    ap.add_argument('-o', '--output-dir', default='.')
    ap.add_argument('-p', '--prefix', default='')
    args = ap.parse_args()
    try:
        schema = Schema(read_schema(args.schema))
    except (SchemaError, KeyError, OSError) as e:
        print('qapi-gen: %s' % e, file=sys.stderr)
        return 1
    g = CGen(schema, args.prefix)
    o = lambda n: os.path.join(args.output_dir, args.prefix + n)
    gen_types(g, o('qapi-types.h'), o('qapi-types.c'), args.prefix)
    gen_visit(g, o('qapi-visit.h'), o('qapi-visit.c'), args.prefix)
    gen_commands(g, o('qapi-commands.h'), o('qapi-commands.c'), args.prefix)
    gen_events(g, o('qapi-events.h'), o('qapi-events.c'), args.prefix)
    gen_introspect(schema, o('qapi-introspect.c'), args.prefix)
    gen_rst(schema, o('qmp-ref.rst'))
    return 0


if __name__ == '__main__':
    sys.exit(main())

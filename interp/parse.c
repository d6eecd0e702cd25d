/*
** parse.c: recursive-descent parser for the grammar of docs/language.md
** and 9-11. Each function carries its production. Errors are located; an
** error at the end of the input marks the input incomplete, which is how
** the REPL knows to read another line.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lex.h"
#include "utf8.h"
#include "ast.h"


/* Brackets open at the moment: an error at the end of the input names the
** innermost one, "'(' was never closed", at the opener. */
#define OPEN_MAX (HX_MAX_NESTING + 16)

typedef struct Parser {
  H *h;
  Lexer lx;
  Token cur, peek;
  int has_peek;
  int prev_start, prev_end;   /* the last token consumed: -1 before the first */
  Loc prev_loc;
  int depth;
  int *incomplete;
  int allow_expr;
  Arena *nodes;               /* where nodes and their lists go: h->perm, or the caller's scratch arena */
  HStr *kw_str[TK_LAST_KW - TK_FIRST_KW + 1];   /* keyword_name */
  int nopen;                  /* may exceed OPEN_MAX; only the first ones are kept */
  TokKind open_kind[OPEN_MAX];
  Loc open_loc[OPEN_MAX];
} Parser;

static void advance(Parser *p) {
  p->prev_start = p->cur.start;
  p->prev_end = p->cur.end;
  p->prev_loc = p->cur.loc;
  if (p->has_peek) { p->cur = p->peek; p->has_peek = 0; }
  else lex_next(&p->lx, &p->cur);
}

static Token *peek(Parser *p) {
  if (!p->has_peek) { lex_next(&p->lx, &p->peek); p->has_peek = 1; }
  return &p->peek;
}

/* The current token, an opening bracket, is now open. */
static void opened(Parser *p) {
  if (p->nopen < OPEN_MAX) {
    p->open_kind[p->nopen] = p->cur.kind;
    p->open_loc[p->nopen] = p->cur.loc;
  }
  p->nopen++;
}

static void closed(Parser *p) { if (p->nopen > 0) p->nopen--; }

/* Where an error at the end of the input goes: just after the last token,
** on its line (so the quoted line shows what is missing). */
static Loc end_loc(Parser *p) {
  if (p->prev_start < 0) return p->cur.loc;   /* nothing before the end */
  Loc l = p->prev_loc;
  l.col += utf8_width(p->lx.text + p->prev_start, (size_t)(p->prev_end - p->prev_start));
  return l;
}

_Noreturn static void parse_syntax_error(Parser *p, const char *fmt, const char *what) {
  if (p->cur.kind == TK_EOF) {
    /* the input ended too early: the REPL reads another line */
    if (p->incomplete) *p->incomplete = 1;
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    if (p->nopen > 0) {
      int i = (p->nopen <= OPEN_MAX ? p->nopen : OPEN_MAX) - 1;
      hx_error_begin(p->h, HEDGE_ERROR, p->open_loc[i], 1, "%s was never closed", lex_token_name(p->open_kind[i]));
      hx_error_note(p->h, end_loc(p), "%s, found end of input", msg);
      hx_error_end(p->h);
    }
    hx_error_at(p->h, end_loc(p), "%s, found end of input", msg);
  }
  char found[96];
  Token *t = &p->cur;
  if (t->kind == TK_IDENT) snprintf(found, sizeof found, "'%s'", t->str->s);
  else if (t->kind == TK_NUMBER || t->kind == TK_STRING || t->kind == TK_DATE)
    snprintf(found, sizeof found, "%s '%.*s'", lex_token_name(t->kind), t->end - t->start > 40 ? 40 : t->end - t->start, p->lx.text + t->start);
  else if (lex_is_keyword(t->kind)) snprintf(found, sizeof found, "keyword '%s'", lex_keyword_spelling(t->kind));
  else snprintf(found, sizeof found, "%s", lex_token_name(t->kind));
  char msg[256];
  snprintf(msg, sizeof msg, fmt, what);
  hx_error_span(p->h, t->loc, t->end - t->start > 0 ? t->end - t->start : 1, "%s, found %s", msg, found);
}

static void expect(Parser *p, TokKind k, const char *context) {
  if (p->cur.kind != k) {
    char what[128];
    snprintf(what, sizeof what, "expected %s%s%s", lex_token_name(k), context ? " " : "", context ? context : "");
    parse_syntax_error(p, "%s", what);
  }
  advance(p);
}

static int accept(Parser *p, TokKind k) {
  if (p->cur.kind != k) return 0;
  advance(p);
  return 1;
}

static Node *new_node(Parser *p, NodeKind k, Token *at) {
  Node *n = arena_alloc(p->h, p->nodes, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = k;
  n->loc = at->loc;
  n->start = at->start;
  n->end = at->end;
  return n;
}

static Node *finish(Parser *p, Node *n) { n->end = p->prev_end; return n; }

static HStr *ident(Parser *p, const char *what) {
  if (p->cur.kind != TK_IDENT) parse_syntax_error(p, "expected %s", what);
  HStr *s = p->cur.str;
  advance(p);
  return s;
}

/* A label before ':' may be an identifier or a keyword (`from:`). */
static int is_label(Parser *p) {
  return (p->cur.kind == TK_IDENT || lex_is_keyword(p->cur.kind)) && peek(p)->kind == TK_COLON;
}

/* A keyword used as a name (`commodity:`, `.from`), interned once per parse. */
static HStr *keyword_name(Parser *p, TokKind k) {
  HStr **slot = &p->kw_str[k - TK_FIRST_KW];
  if (!*slot) *slot = mem_intern_c(p->h, lex_keyword_spelling(k));
  return *slot;
}

static HStr *label_name(Parser *p) {
  HStr *s = p->cur.kind == TK_IDENT ? p->cur.str : keyword_name(p, p->cur.kind);
  advance(p);
  return s;
}

static Node *expr(Parser *p);
static Node *additive(Parser *p);

/* One level of nesting: each expression (so each bracket, whose contents
** are an expression), each unary operator. The outermost expression is
** level 0, so brackets nest HX_MAX_NESTING deep, as documented. The C stack
** is measured too: a host thread with a small stack gets this error rather
** than a crash. */
static void enter(Parser *p) {
  if (++p->depth > HX_MAX_NESTING + 1)
    hx_error_at(p->h, p->cur.loc, "nesting too deep (more than %d levels)", HX_MAX_NESTING);
  hx_check_stack(p->h, p->cur.loc);
}

/* binder := IDENT 'in' additive */
static void binder(Parser *p, BinderList *bl) {
  Binder b;
  memset(&b, 0, sizeof b);
  b.loc = p->cur.loc;
  b.name = ident(p, "a variable name (as in `x in partners`)");
  expect(p, TK_IN, "after the variable");
  b.coll = additive(p);
  avec_push(p->h, p->nodes, bl, b);
}

/* compr := binder {',' binder} ['where' expr] [':' expr]
** Returns 1 when it stopped at `, label:` (named arguments follow a
** comprehension argument: `sort(x in xs: f(x), desc: true)`), the comma
** consumed. */
static int comprehension(Parser *p, Compr *c, int body_required) {
  binder(p, &c->binders);
  while (p->cur.kind == TK_COMMA && peek(p)->kind == TK_IDENT) {
    advance(p);
    if (!body_required && is_label(p)) return 1;
    binder(p, &c->binders);
  }
  if (accept(p, TK_WHERE)) c->where = expr(p);
  if (body_required) { expect(p, TK_COLON, "before the quantifier's body"); c->body = expr(p); }
  else if (accept(p, TK_COLON)) c->body = expr(p);
  return 0;
}

static Node *primary(Parser *p);

/* A field's value: an expression. Most are one literal or name before ',' or
** '}' (`value: 5M USD,`), which is the primary itself: it is taken without
** descending the eleven levels of expr, with the same nesting check. */
static Node *field_value(Parser *p) {
  switch (p->cur.kind) {
    case TK_NUMBER: case TK_STRING: case TK_DATE: case TK_IDENT: case TK_TRUE: case TK_FALSE: case TK_NIL: {
      enter(p);   /* first, as expr does: its error comes before the next token's */
      TokKind next = peek(p)->kind;
      p->depth--;
      if (next != TK_COMMA && next != TK_RBRACE) break;
      p->depth++;
      Node *n = primary(p);
      p->depth--;
      return n;
    }
    default: break;
  }
  return expr(p);
}

/* record := '{' [field {',' field} [',']] '}'   field := label ':' expr */
static Node *record(Parser *p) {
  Node *n = new_node(p, N_REC, &p->cur);
  if (p->cur.kind == TK_LBRACE) opened(p);
  expect(p, TK_LBRACE, NULL);
  while (p->cur.kind != TK_RBRACE) {
    Field f;
    f.loc = p->cur.loc;
    if (p->cur.kind == TK_STRING) { f.name = mem_intern(p->h, p->cur.str->s, p->cur.str->len); advance(p); }
    else if (p->cur.kind == TK_IDENT || lex_is_keyword(p->cur.kind)) f.name = label_name(p);
    else parse_syntax_error(p, "%s", "expected a field name");
    for (uint32_t i = 0; i < n->u.fields.n; i++)
      if (n->u.fields.p[i].name == f.name) hx_error_at(p->h, f.loc, "field '%s' is given twice", f.name->s);
    expect(p, TK_COLON, "after the field name");
    f.value = field_value(p);
    if (!n->u.fields.cap) {   /* room for a deal's or a loan's fields at once */
      n->u.fields.p = arena_alloc(p->h, p->nodes, 8 * sizeof(Field));
      n->u.fields.cap = 8;
    }
    avec_push(p->h, p->nodes, &n->u.fields, f);
    if (p->cur.kind == TK_RBRACE) break;
    if (p->cur.kind != TK_COMMA) parse_syntax_error(p, "%s", "expected ',' between fields or '}' to close the record");
    advance(p);
  }
  expect(p, TK_RBRACE, NULL);
  closed(p);
  return finish(p, n);
}

/* args := '(' [arg {',' arg} [',']] ')'
** arg := [label ':'] expr | compr   (positional, then at most one
** comprehension, then named: `top(3, p in partners: f(p), desc: true)`) */
static void call_args(Parser *p, Node *call) {
  if (p->cur.kind == TK_LPAREN) opened(p);
  expect(p, TK_LPAREN, NULL);
  while (p->cur.kind != TK_RPAREN) {
    int comma_eaten = 0;
    if (p->cur.kind == TK_IDENT && peek(p)->kind == TK_IN && !call->u.call.compr && !call->u.call.named.n) {
      call->u.call.compr = arena_alloc(p->h, p->nodes, sizeof(Compr));
      memset(call->u.call.compr, 0, sizeof(Compr));
      comma_eaten = comprehension(p, call->u.call.compr, 0);
    } else if (is_label(p)) {
      Field f;
      f.loc = p->cur.loc;
      f.name = label_name(p);
      for (uint32_t i = 0; i < call->u.call.named.n; i++)
        if (call->u.call.named.p[i].name == f.name) hx_error_at(p->h, f.loc, "argument '%s' is given twice", f.name->s);
      advance(p);   /* ':' */
      f.value = expr(p);
      avec_push(p->h, p->nodes, &call->u.call.named, f);
    } else {
      if (call->u.call.named.n) parse_syntax_error(p, "%s", "expected a named argument (positional arguments come first)");
      if (call->u.call.compr) parse_syntax_error(p, "%s", "expected a named argument (the comprehension is the last positional argument)");
      Node *a = expr(p);
      avec_push(p->h, p->nodes, &call->u.call.args, a);
    }
    if (comma_eaten) continue;
    if (p->cur.kind == TK_RPAREN) break;
    if (p->cur.kind != TK_COMMA) parse_syntax_error(p, "%s", call->u.call.compr && !call->u.call.named.n ? "expected ')' to close the call" : "expected ',' or ')' in the argument list");
    advance(p);
  }
  expect(p, TK_RPAREN, NULL);
  closed(p);
  /* `sum(x in xs: EXPR) by KEY`: an aggregate per value of KEY */
  if (call->u.call.compr && p->cur.kind == TK_IDENT && !p->cur.nl_before && strcmp(p->cur.str->s, "by") == 0) {
    advance(p);
    call->u.call.compr->by = additive(p);
  }
}

/* primary := NUMBER [UNIT] | STRING | DATE | true | false | nil | IDENT
**          | '(' expr ')' | '[' [expr {',' expr} [',']] ']' | record */
static Node *primary(Parser *p) {
  Token t = p->cur;
  Node *n;
  switch (t.kind) {
    case TK_NUMBER:
      advance(p);
      if (t.str) {
        n = new_node(p, N_QTY, &t);
        n->u.qty.uloc = t.uloc;
        n->u.qty.v = t.num;
        n->u.qty.unit = t.str;
      } else {
        n = new_node(p, N_NUM, &t);
        n->u.num.v = t.num;
        n->u.num.flags = t.numflags;
      }
      return finish(p, n);
    case TK_STRING: advance(p); n = new_node(p, N_STR, &t); n->u.str = t.str; return finish(p, n);
    case TK_DATE: advance(p); n = new_node(p, N_DATE, &t); n->u.date.days = t.days; n->u.date.prec = t.prec; return finish(p, n);
    case TK_TRUE: case TK_FALSE: advance(p); n = new_node(p, N_BOOL, &t); n->u.b = t.kind == TK_TRUE; return finish(p, n);
    case TK_NIL: advance(p); return finish(p, new_node(p, N_NIL, &t));
    case TK_IDENT: advance(p); n = new_node(p, N_NAME, &t); n->u.name = t.str; return finish(p, n);
    case TK_LPAREN: {
      opened(p);
      advance(p);
      n = expr(p);   /* the level is the expression's */
      expect(p, TK_RPAREN, "to close '('");
      closed(p);
      /* keep the parentheses in the span so reports quote them */
      n->start = t.start;
      n->end = p->prev_end;
      return n;
    }
    case TK_LBRACK: {
      opened(p);
      advance(p);
      n = new_node(p, N_LIST, &t);
      while (p->cur.kind != TK_RBRACK) {
        Node *e = expr(p);
        avec_push(p->h, p->nodes, &n->u.items, e);
        if (p->cur.kind == TK_RBRACK) break;
        if (p->cur.kind != TK_COMMA) parse_syntax_error(p, "%s", "expected ',' or ']' in the list");
        advance(p);
      }
      expect(p, TK_RBRACK, NULL);
      closed(p);
      return finish(p, n);
    }
    case TK_LBRACE: return record(p);
    default:
      parse_syntax_error(p, "%s", "expected an expression");
  }
}

/* postfix := primary { '.' NAME | args | '[' expr ']' | '[' [expr] ':' [expr] ']' } */
static Node *postfix(Parser *p) {
  Node *n = primary(p);
  for (;;) {
    Token t = p->cur;
    if (t.kind == TK_DOT) {
      advance(p);
      Node *f = new_node(p, N_FIELD, &t);
      f->start = n->start;
      f->loc = p->cur.loc;
      if (p->cur.kind == TK_IDENT) f->u.field.name = p->cur.str;
      else if (lex_is_keyword(p->cur.kind)) f->u.field.name = keyword_name(p, p->cur.kind);
      else parse_syntax_error(p, "%s", "expected a field name after '.'");
      advance(p);
      f->u.field.obj = n;
      n = finish(p, f);
    } else if (t.kind == TK_LPAREN && !t.nl_before) {
      Node *c = new_node(p, N_CALL, &t);
      c->start = n->start;
      c->loc = n->loc;
      c->u.call.fn = n;
      call_args(p, c);   /* each argument is an expression: a level */
      n = finish(p, c);
    } else if (t.kind == TK_LBRACK && !t.nl_before) {
      opened(p);
      advance(p);
      Node *ix = new_node(p, N_INDEX, &t);
      ix->start = n->start;
      ix->u.index.obj = n;
      Node *lo = p->cur.kind == TK_COLON ? NULL : expr(p);
      if (accept(p, TK_COLON)) {
        /* a slice xs[a:b], either bound left out */
        ix->kind = N_SLICE;
        ix->u.slice.obj = n;
        ix->u.slice.lo = lo;
        ix->u.slice.hi = p->cur.kind == TK_RBRACK ? NULL : expr(p);
      } else ix->u.index.index = lo;
      expect(p, TK_RBRACK, "to close the index");
      closed(p);
      n = finish(p, ix);
    } else return n;
  }
}

static Node *binary(Parser *p, Token *t, NodeKind k, BinOp op, Node *l, Node *r);
static Node *unary(Parser *p);

/* power := postfix ['^' unary]: right-associative (2^3^2 is 2^9), above
** '*' and below unary minus on its left (-2^2 is -4), while its right side
** may be negative (2^-1) */
static Node *power(Parser *p) {
  Node *n = postfix(p);
  if (p->cur.kind == TK_CARET) {
    Token t = p->cur;
    advance(p);
    enter(p);
    Node *r = unary(p);
    p->depth--;
    n = binary(p, &t, N_BIN, OP_POW, n, r);
  }
  return n;
}

/* unary := '-' unary | power */
static Node *unary(Parser *p) {
  if (p->cur.kind == TK_MINUS) {
    Token t = p->cur;
    advance(p);
    enter(p);
    Node *n = new_node(p, N_NEG, &t);
    n->u.operand = unary(p);
    p->depth--;
    return finish(p, n);
  }
  return power(p);
}

static Node *binary(Parser *p, Token *t, NodeKind k, BinOp op, Node *l, Node *r) {
  Node *n = new_node(p, k, t);
  n->u.bin.op = op;
  n->u.bin.l = l;
  n->u.bin.r = r;
  n->start = l->start;
  return finish(p, n);
}

/* mul := unary {('*'|'/') unary} */
static Node *multiplicative(Parser *p) {
  Node *n = unary(p);
  while (p->cur.kind == TK_STAR || p->cur.kind == TK_SLASH) {
    Token t = p->cur;
    advance(p);
    n = binary(p, &t, N_BIN, t.kind == TK_STAR ? OP_MUL : OP_DIV, n, unary(p));
  }
  return n;
}

/* add := mul {('+'|'-') mul} */
static Node *additive(Parser *p) {
  Node *n = multiplicative(p);
  while (p->cur.kind == TK_PLUS || p->cur.kind == TK_MINUS) {
    Token t = p->cur;
    advance(p);
    n = binary(p, &t, N_BIN, t.kind == TK_PLUS ? OP_ADD : OP_SUB, n, multiplicative(p));
  }
  return n;
}

static int cmp_op(TokKind k, BinOp *op) {
  switch (k) {
    case TK_EQ: *op = OP_EQ; return 1;
    case TK_NE: *op = OP_NE; return 1;
    case TK_LT: *op = OP_LT; return 1;
    case TK_LE: *op = OP_LE; return 1;
    case TK_GT: *op = OP_GT; return 1;
    case TK_GE: *op = OP_GE; return 1;
    case TK_IN: *op = OP_IN; return 1;
    default: return 0;
  }
}

/* cmp := add [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') add] */
static Node *comparison(Parser *p) {
  Node *n = additive(p);
  BinOp op;
  if (cmp_op(p->cur.kind, &op)) {
    Token t = p->cur;
    advance(p);
    n = binary(p, &t, N_BIN, op, n, additive(p));
    if (cmp_op(p->cur.kind, &op))
      parse_syntax_error(p, "%s", "comparisons do not chain (write `a < b and b < c`)");
  } else if (p->cur.kind == TK_ASSIGN) {
    parse_syntax_error(p, "%s", "expected '==' to compare ('=' only appears in let and fn)");
  }
  return n;
}

/* not := 'not' not | cmp */
static Node *negation(Parser *p) {
  if (p->cur.kind == TK_NOT) {
    Token t = p->cur;
    advance(p);
    enter(p);
    Node *n = new_node(p, N_NOT, &t);
    n->u.operand = negation(p);
    p->depth--;
    return finish(p, n);
  }
  return comparison(p);
}

/* and := not {'and' not} */
static Node *conjunction(Parser *p) {
  Node *n = negation(p);
  while (p->cur.kind == TK_AND) {
    Token t = p->cur;
    advance(p);
    n = binary(p, &t, N_AND, OP_ADD, n, negation(p));
  }
  return n;
}

/* or := and {'or' and} */
static Node *disjunction(Parser *p) {
  Node *n = conjunction(p);
  while (p->cur.kind == TK_OR) {
    Token t = p->cur;
    advance(p);
    n = binary(p, &t, N_OR, OP_ADD, n, conjunction(p));
  }
  return n;
}

/* expr := ('forall' | 'exists') compr | 'if' expr 'then' expr 'else' expr | or */
static Node *expr(Parser *p) {
  Token t = p->cur;
  Node *n;
  enter(p);
  if (t.kind == TK_FORALL || t.kind == TK_EXISTS) {
    advance(p);
    n = new_node(p, N_QUANT, &t);
    n->u.quant.exists = t.kind == TK_EXISTS;
    comprehension(p, &n->u.quant.c, 1);
    n = finish(p, n);
  } else if (t.kind == TK_IF) {
    advance(p);
    n = new_node(p, N_IF, &t);
    n->u.cond.c = expr(p);
    expect(p, TK_THEN, "after the condition of 'if'");
    n->u.cond.t = expr(p);
    expect(p, TK_ELSE, "('if' needs both 'then' and 'else')");
    n->u.cond.e = expr(p);
    n = finish(p, n);
  } else n = disjunction(p);
  p->depth--;
  return n;
}

/* ---- statements ------------------------------------------------------------ */

static int entity_kind_of(TokKind k) {
  switch (k) {
    case TK_PARTNER: return K_PARTNER;
    case TK_COMMODITY: return K_COMMODITY;
    case TK_DEAL: return K_DEAL;
    case TK_LOAN: return K_LOAN;
    default: return -1;
  }
}

static void statement(Parser *p, NodeList *out, int ctx);

/* entity := ('partner'|'commodity') NAME [record] {',' NAME [record]}
**         | ('deal'|'loan') [NAME] record */
static void entity_decl(Parser *p, NodeList *out) {
  Token kw = p->cur;
  int k = entity_kind_of(kw.kind);
  advance(p);
  if (k == K_PARTNER || k == K_COMMODITY) {
    for (;;) {
      Node *n = new_node(p, S_ENTITY, &kw);
      n->u.ent.ekind = k;
      n->u.ent.nameloc = p->cur.loc;
      n->u.ent.name = ident(p, k == K_PARTNER ? "a partner name" : "a commodity name");
      if (p->cur.kind == TK_LBRACE && !(p->cur.nl_before && 0)) n->u.ent.rec = record(p);
      avec_push(p->h, p->nodes, out, finish(p, n));
      if (!accept(p, TK_COMMA)) break;
    }
  } else {
    Node *n = new_node(p, S_ENTITY, &kw);
    n->u.ent.ekind = k;
    n->u.ent.nameloc = p->cur.loc;
    if (p->cur.kind == TK_IDENT) n->u.ent.name = ident(p, "a name");
    if (p->cur.kind != TK_LBRACE) parse_syntax_error(p, "expected %s", k == K_DEAL ? "'{' to start the deal's record" : "'{' to start the loan's record");
    n->u.ent.rec = record(p);
    avec_push(p->h, p->nodes, out, finish(p, n));
  }
}

/* params := [param {',' param}]   param := NAME ['=' expr] | NAME ':' TYPE (extern) */
static void params(Parser *p, ParamList *pl, int typed) {
  if (p->cur.kind == TK_LPAREN) opened(p);
  expect(p, TK_LPAREN, "to start the parameter list");
  while (p->cur.kind != TK_RPAREN) {
    Param pa;
    memset(&pa, 0, sizeof pa);
    pa.loc = p->cur.loc;
    pa.name = ident(p, "a parameter name");
    for (uint32_t i = 0; i < pl->n; i++)
      if (pl->p[i].name == pa.name) hx_error_at(p->h, pa.loc, "parameter '%s' appears twice", pa.name->s);
    if (typed) {
      expect(p, TK_COLON, "and a type after the parameter name (x: double)");
      pa.def = new_node(p, N_NAME, &p->cur);
      pa.def->u.name = ident(p, "a type: int, long, double, bool or string");
    } else if (accept(p, TK_ASSIGN)) pa.def = expr(p);
    else if (pl->n && pl->p[pl->n - 1].def)
      hx_error_at(p->h, pa.loc, "parameter '%s' needs a default: it follows one that has a default", pa.name->s);
    if (pl->n >= HX_MAX_PARAMS) hx_error_at(p->h, pa.loc, "too many parameters (at most %d)", HX_MAX_PARAMS);
    avec_push(p->h, p->nodes, pl, pa);
    if (p->cur.kind == TK_RPAREN) break;
    expect(p, TK_COMMA, "between parameters");
  }
  expect(p, TK_RPAREN, NULL);
  closed(p);
}

/* The load's options, made on first use. */
static LoadOpts *load_opts(Parser *p, Node *n) {
  if (!n->u.load.opt) {
    n->u.load.opt = arena_alloc(p->h, p->nodes, sizeof(LoadOpts));
    memset(n->u.load.opt, 0, sizeof(LoadOpts));
  }
  return n->u.load.opt;
}

/* A one-character option: separator: ";" (or "\t", or the word tab). */
static char load_char(Parser *p, const char *what) {
  char c = 0;
  if (p->cur.kind == TK_IDENT && strcmp(p->cur.str->s, "tab") == 0) c = '\t';
  else if (p->cur.kind == TK_STRING && p->cur.str->len == 1) c = p->cur.str->s[0];
  else parse_syntax_error(p, "%s takes one character in quotes: \";\", \",\", \".\" or \"\\t\" (or the word tab)", what);
  if (c == '"' || c == '\n' || c == '\r') parse_syntax_error(p, "%s cannot be a quote or a line end", what);
  advance(p);
  return c;
}

/* missing: "NA" | ["NA", "-"] | { q: "NA" } */
static void load_missing(Parser *p, LoadOpts *o) {
  if (p->cur.kind == TK_STRING) {
    avec_push(p->h, p->nodes, &o->missing, p->cur.str);
    advance(p);
    return;
  }
  if (p->cur.kind == TK_LBRACK) {
    advance(p);
    while (p->cur.kind != TK_RBRACK) {
      if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "missing: takes strings, as in [\"NA\", \"-\"]");
      avec_push(p->h, p->nodes, &o->missing, p->cur.str);
      advance(p);
      if (!accept(p, TK_COMMA)) break;
    }
    expect(p, TK_RBRACK, NULL);
    return;
  }
  if (p->cur.kind == TK_LBRACE) {   /* per column: { q: "NA", v: "NA" } */
    advance(p);
    while (p->cur.kind != TK_RBRACE) {
      HStr *col;
      if (p->cur.kind == TK_STRING) { col = p->cur.str; advance(p); }
      else if (p->cur.kind == TK_IDENT || lex_is_keyword(p->cur.kind)) col = label_name(p);
      else parse_syntax_error(p, "%s", "expected a column name");
      expect(p, TK_COLON, "after the column name");
      if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "missing: { COLUMN: \"TOKEN\" } takes a string");
      avec_push(p->h, p->nodes, &o->missing_cols, col);
      avec_push(p->h, p->nodes, &o->missing, p->cur.str);
      advance(p);
      if (!accept(p, TK_COMMA)) break;
    }
    expect(p, TK_RBRACE, NULL);
    return;
  }
  parse_syntax_error(p, "%s", "missing: takes a string or a list of strings, as in missing: \"NA\"");
}

/* declare: partners | commodities | [partners, commodities] */
static int load_declare(Parser *p) {
  int mask = 0, list = accept(p, TK_LBRACK);
  do {
    if (p->cur.kind != TK_IDENT) parse_syntax_error(p, "%s", "declare: takes partners, commodities or both in a list");
    if (strcmp(p->cur.str->s, "partners") == 0) mask |= 1 << K_PARTNER;
    else if (strcmp(p->cur.str->s, "commodities") == 0) mask |= 1 << K_COMMODITY;
    else parse_syntax_error(p, "%s", "declare: takes partners, commodities or both in a list");
    advance(p);
  } while (list && accept(p, TK_COMMA) && p->cur.kind != TK_RBRACK);
  if (list) expect(p, TK_RBRACK, NULL);
  return mask;
}

static ColSpec *col_spec(Parser *p, Node *c) {
  if (!c->u.col.x) {
    c->u.col.x = arena_alloc(p->h, p->nodes, sizeof(ColSpec));
    memset(c->u.col.x, 0, sizeof(ColSpec));
  }
  return c->u.col.x;
}

static int is_word(Parser *p, const char *w) {
  return p->cur.kind == TK_IDENT && strcmp(p->cur.str->s, w) == 0;
}

/* A column's unit: `USD`, or a scale word and a unit, `M USD` (millions). */
static void load_unit(Parser *p, Node *c) {
  static const char scales[] = "KMBT";
  static const double factor[] = {1e3, 1e6, 1e9, 1e12};
  if (p->cur.str->len == 1 && strchr(scales, p->cur.str->s[0]) && peek(p)->kind == TK_IDENT && !peek(p)->nl_before) {
    col_spec(p, c)->scale = factor[strchr(scales, p->cur.str->s[0]) - scales];
    advance(p);
  }
  c->u.col.unit = ident(p, "a unit");
}

/* One field entry: `= EXPR` | `each "PAT" [UNIT]` | COLUMN [UNIT] [pad N] [via NAME | via "FILE" FROM -> TO] */
static Node *load_field(Parser *p) {
  Node *c = new_node(p, N_COLUMN, &p->cur);
  if (accept(p, TK_ASSIGN)) {
    col_spec(p, c)->expr = expr(p);
    return finish(p, c);
  }
  if (is_word(p, "each") && peek(p)->kind == TK_STRING) {
    advance(p);
    col_spec(p, c)->each = p->cur.str;
    c->u.col.column = p->cur.str;
    advance(p);
    if (p->cur.kind == TK_IDENT && !p->cur.nl_before) load_unit(p, c);
    return finish(p, c);
  }
  c->u.col.column = p->cur.kind == TK_STRING ? mem_intern(p->h, p->cur.str->s, p->cur.str->len) : NULL;
  if (c->u.col.column) advance(p);
  else if (lex_is_keyword(p->cur.kind)) c->u.col.column = label_name(p);   /* a column named `commodity` */
  else c->u.col.column = ident(p, "a column name, or = EXPR");
  if (p->cur.kind == TK_IDENT && !p->cur.nl_before && !is_word(p, "via") && !is_word(p, "pad"))
    load_unit(p, c);
  if (is_word(p, "pad")) {
    advance(p);
    if (p->cur.kind != TK_NUMBER || p->cur.num < 1 || p->cur.num > 32 || p->cur.num != (int)p->cur.num)
      parse_syntax_error(p, "%s", "pad takes a width from 1 to 32, as in pad 6");
    col_spec(p, c)->pad = (int)p->cur.num;
    advance(p);
  }
  if (is_word(p, "via")) {
    advance(p);
    ColSpec *x = col_spec(p, c);
    if (p->cur.kind == TK_STRING) {
      x->via_file = p->cur.str;
      x->via_loc = p->cur.loc;
      advance(p);
      x->via_from = p->cur.kind == TK_STRING ? p->cur.str : NULL;
      if (x->via_from) advance(p); else x->via_from = ident(p, "the table's column of codes to map from");
      expect(p, TK_ARROW, "(via \"FILE.csv\" FROM -> TO)");
      x->via_to = p->cur.kind == TK_STRING ? p->cur.str : NULL;
      if (x->via_to) advance(p); else x->via_to = ident(p, "the table's column of codes to map to");
    } else {
      if (p->cur.kind != TK_IDENT && !lex_is_keyword(p->cur.kind)) parse_syntax_error(p, "%s", "expected a field (via name, via alpha2, via numeric) or a file (via \"FILE.csv\" FROM -> TO)");
      x->via_field = label_name(p);
    }
  }
  return finish(p, c);
}

/* load := 'load' KIND 'from' (STRING ['as' NAME] | iso3166) [ '{' {ENTRY [,]} '}' ]
** ENTRY := NAME ':' FIELD | key/where/missing/separator/decimal/thousands/
**          declare/unmapped/aliases/countries ':' VALUE  (docs/data.md) */
static Node *load_stmt(Parser *p, Token *kw) {
  Node *n = new_node(p, S_LOAD, kw);
  static const char *const plural[] = {"partners", "commodities", "deals", "loans"};
  n->u.load.ekind = -1;
  if (p->cur.kind == TK_IDENT)
    for (int k = 0; k < 4; k++) if (strcmp(p->cur.str->s, plural[k]) == 0) n->u.load.ekind = k;
  if (n->u.load.ekind < 0) parse_syntax_error(p, "%s", "expected partners, commodities, deals or loans after 'load'");
  advance(p);
  expect(p, TK_FROM, "(load KIND from \"FILE.csv\")");
  if (is_word(p, "iso3166")) {
    if (n->u.load.ekind != K_PARTNER) parse_syntax_error(p, "%s", "iso3166 declares partners: load partners from iso3166");
    load_opts(p, n)->preset = LP_ISO3166;
    n->u.load.path = mem_intern_c(p->h, "iso3166");
    advance(p);
    return finish(p, n);
  }
  if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "expected the file name as a string (or iso3166)");
  n->u.load.path = p->cur.str;
  advance(p);
  if (is_word(p, "as")) {
    advance(p);
    if (!is_word(p, "baci")) parse_syntax_error(p, "%s", "expected a layout after 'as': baci");
    if (n->u.load.ekind != K_DEAL) parse_syntax_error(p, "%s", "a BACI file holds deals: load deals from \"FILE.csv\" as baci { countries: \"FILE.csv\" }");
    load_opts(p, n)->preset = LP_BACI;
    advance(p);
  }
  if (p->cur.kind == TK_LBRACE) {
    opened(p);
    advance(p);
    while (p->cur.kind != TK_RBRACE) {
      Field f;
      f.loc = p->cur.loc;
      if (p->cur.kind != TK_IDENT && !lex_is_keyword(p->cur.kind)) parse_syntax_error(p, "%s", "expected a field name");
      f.name = label_name(p);
      expect(p, TK_COLON, "after the field name");
      const char *nm = f.name->s;
      LoadOpts *o;
      if (strcmp(nm, "where") == 0) {
        o = load_opts(p, n);
        o->where_loc = p->cur.loc;
        o->where = expr(p);
      } else if (strcmp(nm, "missing") == 0) {
        load_missing(p, load_opts(p, n));
      } else if (strcmp(nm, "separator") == 0) {
        load_opts(p, n)->sep = load_char(p, "separator");
      } else if (strcmp(nm, "decimal") == 0) {
        load_opts(p, n)->decimal = load_char(p, "decimal");
      } else if (strcmp(nm, "thousands") == 0) {
        load_opts(p, n)->thousands = load_char(p, "thousands");
      } else if (strcmp(nm, "declare") == 0) {
        load_opts(p, n)->declare |= load_declare(p);
      } else if (strcmp(nm, "unmapped") == 0) {
        if (is_word(p, "skip")) load_opts(p, n)->unmapped_skip = 1;
        else if (!is_word(p, "error")) parse_syntax_error(p, "%s", "unmapped: takes skip or error");
        advance(p);
      } else if (strcmp(nm, "countries") == 0 && n->u.load.opt && n->u.load.opt->preset == LP_BACI) {
        if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "countries: takes the country file's name as a string");
        n->u.load.opt->countries = p->cur.str;
        n->u.load.opt->countries_loc = p->cur.loc;
        advance(p);
      } else if (strcmp(nm, "aliases") == 0) {
        o = load_opts(p, n);
        Node *r = record(p);
        o->aliases = r->u.fields;
      } else {
        f.value = load_field(p);
        if (strcmp(nm, "key") == 0) {
          if (f.value->u.col.x) parse_syntax_error(p, "%s", "key: takes a column name");
          n->u.load.key = f.value->u.col.column;
        } else avec_push(p->h, p->nodes, &n->u.load.map, f);
      }
      if (p->cur.kind == TK_RBRACE) break;
      if (p->cur.kind != TK_COMMA) parse_syntax_error(p, "%s", "expected ',' between mapping entries or '}'");
      advance(p);
    }
    expect(p, TK_RBRACE, NULL);
    closed(p);
  }
  if (n->u.load.opt && n->u.load.opt->preset == LP_BACI && !n->u.load.opt->countries)
    parse_syntax_error(p, "%s", "a BACI load needs its country file: as baci { countries: \"country_codes_V202401.csv\" }");
  return finish(p, n);
}

/* A block of a scenario or a test: '{' {item} '}' */
enum { CTX_TOP, CTX_SCENARIO, CTX_TEST, CTX_REPL };

static void block(Parser *p, NodeList *body, int ctx) {
  if (p->cur.kind == TK_LBRACE) opened(p);
  expect(p, TK_LBRACE, "to open the block");
  while (p->cur.kind != TK_RBRACE) {
    if (p->cur.kind == TK_EOF) parse_syntax_error(p, "%s", "expected '}' to close the block");
    statement(p, body, ctx);
  }
  expect(p, TK_RBRACE, NULL);
  closed(p);
}

/* drop := 'drop' binder ['where' expr]   update := 'update' binder ['where' expr] record */
static Node *drop_update(Parser *p, Token *kw) {
  Node *n = new_node(p, kw->kind == TK_DROP ? S_DROP : S_UPDATE, kw);
  BinderList bl = {0};
  binder(p, &bl);
  n->u.drop.b = bl.p[0];
  if (accept(p, TK_WHERE)) n->u.drop.where = expr(p);
  if (n->kind == S_UPDATE) {
    Node *r = record(p);
    n->u.drop.set = r->u.fields;
  }
  return finish(p, n);
}

static void statement(Parser *p, NodeList *out, int ctx) {
  Token kw = p->cur;
  Node *n;
  switch (kw.kind) {
    case TK_PARTNER: case TK_COMMODITY: case TK_DEAL: case TK_LOAN:
      entity_decl(p, out);
      return;
    case TK_UNITKW:
      advance(p);
      n = new_node(p, S_UNIT, &kw);
      n->u.unit.nameloc = p->cur.loc;
      n->u.unit.name = ident(p, "a unit name");
      if (accept(p, TK_ASSIGN)) {
        if (p->cur.kind != TK_NUMBER || !p->cur.str) parse_syntax_error(p, "%s", "expected a factor and a unit, as in `unit PKR = 0.0036 USD`");
        n->u.unit.factor = p->cur.num;
        n->u.unit.of = p->cur.str;
        n->u.unit.ofloc = p->cur.uloc;
        advance(p);
      }
      break;
    case TK_LET:
      advance(p);
      n = new_node(p, S_LET, &kw);
      n->u.let.nameloc = p->cur.loc;
      n->u.let.name = ident(p, "a name after 'let'");
      expect(p, TK_ASSIGN, "after the name (let NAME = EXPR)");
      n->u.let.value = expr(p);
      break;
    case TK_FN:
      advance(p);
      n = new_node(p, S_FN, &kw);
      n->u.fn.nameloc = p->cur.loc;
      n->u.fn.name = ident(p, "a function name");
      params(p, &n->u.fn.params, 0);
      expect(p, TK_ASSIGN, "before the function's body (fn f(x) = EXPR)");
      n->u.fn.body = expr(p);
      break;
    case TK_RULE: case TK_WARN:
      advance(p);
      n = new_node(p, S_RULE, &kw);
      n->u.rule.warn = kw.kind == TK_WARN;
      n->u.rule.nameloc = p->cur.loc;
      n->u.rule.name = ident(p, "a rule name");
      if (p->cur.kind == TK_STRING) { n->u.rule.title = p->cur.str; advance(p); }
      expect(p, TK_COLON, "before the rule's body");
      n->u.rule.body = expr(p);
      break;
    case TK_PRINT:
      advance(p);
      n = new_node(p, S_PRINT, &kw);
      n->u.expr = expr(p);
      break;
    case TK_IMPORT: case TK_USE:
      advance(p);
      n = new_node(p, kw.kind == TK_IMPORT ? S_IMPORT : S_USE, &kw);
      n->u.import.pathloc = p->cur.loc;
      if (p->cur.kind == TK_STRING) n->u.import.path = p->cur.str;
      else if (kw.kind == TK_USE && p->cur.kind == TK_IDENT) { n->u.import.path = p->cur.str; n->u.import.is_name = 1; }
      else parse_syntax_error(p, "%s", kw.kind == TK_IMPORT ? "expected a file name as a string" : "expected a file name as a string or a module name");
      advance(p);
      break;
    case TK_EXTERN:
      advance(p);
      n = new_node(p, S_EXTERN, &kw);
      if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "expected the library as a string (extern \"libm.so.6\" fn ...)");
      n->u.fn.lib = p->cur.str;
      advance(p);
      expect(p, TK_FN, "after the library name");
      n->u.fn.nameloc = p->cur.loc;
      n->u.fn.name = ident(p, "a function name");
      params(p, &n->u.fn.params, 1);
      expect(p, TK_ARROW, "and a return type (-> double)");
      {
        Node *t = new_node(p, N_NAME, &p->cur);
        t->u.name = ident(p, "a return type: int, long, double, bool, string or void");
        n->u.fn.body = t;
      }
      break;
    case TK_LOAD:
      advance(p);
      n = load_stmt(p, &kw);
      break;
    case TK_SCENARIO:
      if (ctx != CTX_TOP && ctx != CTX_REPL) parse_syntax_error(p, "%s", "a scenario cannot be declared inside a block");
      advance(p);
      n = new_node(p, S_SCENARIO, &kw);
      n->u.scen.nameloc = p->cur.loc;
      n->u.scen.name = ident(p, "a scenario name");
      if (p->cur.kind == TK_STRING) { n->u.scen.title = p->cur.str; advance(p); }
      if (accept(p, TK_EXTENDS)) { n->u.scen.parentloc = p->cur.loc; n->u.scen.parent = ident(p, "the scenario it extends"); }
      block(p, &n->u.scen.body, CTX_SCENARIO);
      break;
    case TK_TEST:
      if (ctx != CTX_TOP && ctx != CTX_REPL) parse_syntax_error(p, "%s", "a test cannot be declared inside a block");
      advance(p);
      n = new_node(p, S_TEST, &kw);
      if (p->cur.kind != TK_STRING) parse_syntax_error(p, "%s", "expected the test's name as a string (test \"...\" { ... })");
      n->u.scen.nameloc = p->cur.loc;
      n->u.scen.name = mem_intern(p->h, p->cur.str->s, p->cur.str->len);
      advance(p);
      block(p, &n->u.scen.body, CTX_TEST);
      break;
    case TK_DROP: case TK_UPDATE:
      if (ctx != CTX_SCENARIO && ctx != CTX_TEST) parse_syntax_error(p, "%s", "'drop' and 'update' belong inside a scenario or test block:");
      advance(p);
      n = drop_update(p, &kw);
      break;
    case TK_EXPECT:
      if (ctx != CTX_TEST) parse_syntax_error(p, "%s", "'expect' belongs inside a test block:");
      advance(p);
      n = new_node(p, S_EXPECT, &kw);
      if (p->cur.kind == TK_PASS || p->cur.kind == TK_FAIL) {
        n->u.expect.what = p->cur.kind == TK_PASS ? 1 : 2;
        advance(p);
        n->u.expect.rule = ident(p, "a rule name");
      } else n->u.expect.expr = expr(p);
      break;
    case TK_IDENT:
      /* `group NAME = [A, B]` and `fiscal year starts MM`: words that are
      ** keywords only at the start of a statement (so `group` stays free as
      ** a name, a field or a label elsewhere) */
      if (strcmp(kw.str->s, "group") == 0 && peek(p)->kind == TK_IDENT) {
        if (ctx != CTX_TOP && ctx != CTX_REPL) parse_syntax_error(p, "%s", "a group is declared at the top of a file, not inside a block:");
        advance(p);
        n = new_node(p, S_GROUP, &kw);
        n->u.let.nameloc = p->cur.loc;
        n->u.let.name = ident(p, "a group name");
        expect(p, TK_ASSIGN, "after the group's name (group EU = [DEU, FRA])");
        n->u.let.value = expr(p);
        break;
      }
      if (strcmp(kw.str->s, "fiscal") == 0 && peek(p)->kind == TK_IDENT && strcmp(peek(p)->str->s, "year") == 0) {
        if (ctx != CTX_TOP && ctx != CTX_REPL) parse_syntax_error(p, "%s", "the fiscal year is declared at the top of a file, not inside a block:");
        advance(p);
        advance(p);
        if (p->cur.kind != TK_IDENT || strcmp(p->cur.str->s, "starts") != 0) parse_syntax_error(p, "%s", "expected 'starts' (fiscal year starts 07)");
        advance(p);
        n = new_node(p, S_FISCAL, &kw);
        if (p->cur.kind != TK_NUMBER || p->cur.str || p->cur.numflags || !(p->cur.num >= 1 && p->cur.num <= 12) || p->cur.num != (int)p->cur.num)
          parse_syntax_error(p, "%s", "expected the month the fiscal year starts, 01 to 12 (fiscal year starts 07)");
        n->u.num.v = p->cur.num;
        advance(p);
        break;
      }
      /* fall through */
    default:
      if (ctx == CTX_REPL) {
        n = new_node(p, S_EXPR, &kw);
        n->u.expr = expr(p);
        break;
      }
      if (kw.kind == TK_EOF) parse_syntax_error(p, "%s", "expected a statement");
      parse_syntax_error(p, "%s", ctx == CTX_TOP
        ? "expected a declaration or statement (partner, commodity, deal, loan, unit, let, fn, rule, warn, print, import, use, extern, load, scenario, test)"
        : "expected a declaration or statement in the block");
  }
  n = finish(p, n);
  avec_push(p->h, p->nodes, out, n);
  /* statements need no terminator, but two cannot share a line by accident */
  if (p->cur.kind != TK_EOF && p->cur.kind != TK_RBRACE && !p->cur.nl_before &&
      !(p->cur.kind >= TK_FIRST_KW && p->cur.kind <= TK_LAST_KW))
    parse_syntax_error(p, "%s", "unexpected text after the end of the statement");
}

static void init_parser(Parser *p, H *h, int src, int *incomplete) {
  memset(p, 0, sizeof *p);
  p->h = h;
  p->incomplete = incomplete;
  if (incomplete) *incomplete = 0;
  p->prev_start = -1;
  p->nodes = &h->perm;
  lex_init(&p->lx, h, src);
  p->lx.incomplete = incomplete;
  lex_next(&p->lx, &p->cur);
}

void parse_program(H *h, int src, NodeList *out, int *incomplete) {
  Parser p;
  int inc = 0;
  int *pi = incomplete ? incomplete : &inc;
  *pi = 0;
  init_parser(&p, h, src, pi);
  int ctx = incomplete ? CTX_REPL : CTX_TOP;
  while (p.cur.kind != TK_EOF) statement(&p, out, ctx);
}

/* See ast.h. A declaration's nodes go to the scratch arena; run by the hook,
** they are dropped at once, so a file of 100,000 deals never holds 100,000
** syntax trees (bench/RESULTS.md, Declarations). */
void parse_program_streaming(H *h, int src, NodeList *out, Arena *scratch, ParseDeclHook hook, void *ud) {
  Parser p;
  int inc = 0;
  init_parser(&p, h, src, &inc);
  while (p.cur.kind != TK_EOF) {
    TokKind k = p.cur.kind;
    /* a declaration's nodes are dropped once it ran; any other statement's
    ** stay (a let keeps its expression, a rule its body) */
    int drop = k == TK_PARTNER || k == TK_COMMODITY || k == TK_DEAL || k == TK_LOAN || k == TK_UNITKW;
    ArenaMark m = arena_mark(scratch);
    Node *first[8];
    NodeList one = {first, 0, 8};   /* `partner A, B, ...`: grows into p.nodes past eight */
    if (drop) p.nodes = scratch;
    statement(&p, &one, CTX_TOP);
    p.nodes = &h->perm;
    if (hook(h, one.p, one.n, ud)) { if (drop) arena_release(h, scratch, m); }
    else for (uint32_t i = 0; i < one.n; i++) avec_push(h, &h->perm, out, one.p[i]);
  }
}

Node *parse_expression(H *h, int src, int *incomplete) {
  Parser p;
  init_parser(&p, h, src, incomplete);
  Node *n = expr(&p);
  if (p.cur.kind != TK_EOF) parse_syntax_error(&p, "%s", "unexpected text after the expression");
  return n;
}

const char *parse_node_text(H *h, const Node *n, size_t *len) {
  if (n->loc.src < 0 || (uint32_t)n->loc.src >= h->sources.n) { *len = 0; return ""; }
  Source *s = h->sources.p[n->loc.src];
  if (n->start < 0 || n->end > (int)s->len || n->end < n->start) { *len = 0; return ""; }
  *len = (size_t)(n->end - n->start);
  return s->text + n->start;
}

const char *parse_node_text_one_line(H *h, Arena *a, const Node *n) {
  size_t len;
  const char *s = parse_node_text(h, n, &len);
  char *o = arena_alloc(h, a, len + 1);
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && k && o[k - 1] == ' ') continue;
    o[k++] = c;
  }
  o[k] = 0;
  return o;
}

/* See ast.h: parse_node_text_one_line fitted into out, cut with "..." when it does
** not fit in cap - 4 bytes. */
void parse_node_text_short(H *h, const Node *n, char *out, size_t cap) {
  ArenaMark m = arena_mark(&h->temp);
  const char *s = parse_node_text_one_line(h, &h->temp, n);
  size_t k = strlen(s);
  if (k + 4 >= cap) {
    k = cap - 4;
    memcpy(out, s, k);
    memcpy(out + k, "...", 3);
    k += 3;
  } else memcpy(out, s, k);
  out[k] = 0;
  arena_release(h, &h->temp, m);
}

/*
** lex.h: tokens of hedge source (docs/language.md, Lexical structure). The lexer is pulled one
** token at a time by the parser and knows nothing of what tokens mean.
*/
#ifndef LEX_H
#define LEX_H
#include "core.h"

typedef enum {
  TK_EOF, TK_IDENT, TK_NUMBER, TK_UNIT, TK_STRING, TK_DATE,
  /* keywords (order matches kw_names in lex.c) */
  TK_PARTNER, TK_COMMODITY, TK_DEAL, TK_LOAN, TK_UNITKW, TK_LET, TK_FN, TK_RULE,
  TK_WARN, TK_PRINT, TK_IMPORT, TK_USE, TK_EXTERN, TK_LOAD, TK_FROM, TK_SCENARIO,
  TK_EXTENDS, TK_DROP, TK_UPDATE, TK_TEST, TK_EXPECT, TK_PASS, TK_FAIL, TK_FORALL,
  TK_EXISTS, TK_IN, TK_WHERE, TK_AND, TK_OR, TK_NOT, TK_IF, TK_THEN, TK_ELSE,
  TK_TRUE, TK_FALSE, TK_NIL,
  /* punctuation */
  TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_LBRACE, TK_RBRACE, TK_COMMA,
  TK_COLON, TK_DOT, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_EQ, TK_NE, TK_LT,
  TK_LE, TK_GT, TK_GE, TK_ASSIGN, TK_ARROW, TK_CARET,
  TK_COUNT_
} TokKind;

#define TK_FIRST_KW TK_PARTNER
#define TK_LAST_KW TK_NIL

/* Number flags: how the literal was written (for printing 40% back). */
enum { NUMF_PERCENT = 1, NUMF_SCALED = 2 };

typedef struct Token {
  TokKind kind;
  int nl_before;        /* a newline separates it from the previous token */
  int start, end;       /* byte offsets into the source */
  Loc loc;              /* columns count code points, not bytes */
  Loc uloc;             /* TK_NUMBER with a unit: where the unit starts */
  double num;           /* TK_NUMBER */
  int numflags;
  int32_t days;         /* TK_DATE: days since 1970-01-01 */
  int prec;             /* TK_DATE: 0 day, 1 month */
  HStr *str;            /* TK_IDENT, TK_UNIT (interned), TK_STRING (decoded) */
} Token;

typedef struct Lexer {
  H *h;
  int src;
  const char *text;
  int len, pos, line, linestart;
  int cbase, cpos, ccol;  /* column cache: byte cpos of the line at cbase is column ccol */
  int ascii;            /* the text (after a byte order mark) is all ASCII: a column is a byte */
  int *incomplete;      /* if set: *incomplete = 1 when input ends inside a string */
  /* names of up to 8 bytes interned lately, by their bytes (lex_intern): a file
  ** names the same few partners and fields again and again */
  struct { uint64_t key; uint32_t len; HStr *str; } names[256];
} Lexer;

/* Prepares to scan source src. Raises "invalid UTF-8" at the first byte of
** the first malformed sequence anywhere in it (comments and strings too). */
void lex_init(Lexer *lx, H *h, int src);
/* Scans the next token; raises a located error on a malformed one. If the
** input ends inside a string, lx->incomplete is set before raising (the
** REPL then asks for another line). */
void lex_next(Lexer *lx, Token *t);
const char *lex_token_name(TokKind k);      /* "identifier", "'('", "'forall'" ... */
int lex_is_keyword(TokKind k);
/* The keyword with this spelling, or TK_IDENT. */
TokKind lex_keyword_lookup(const char *s, size_t n);
const char *lex_keyword_spelling(TokKind k);

#endif

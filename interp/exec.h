/*
** exec.h: running the program (exec.c): statements in order, each
** declaration checked and entered into the program's tables (prog.h), and
** the checks once a load is complete.
*/
#ifndef EXEC_H
#define EXEC_H
#include "prog.h"

/* Running a program: executes one statement of a parsed source. */
void exec_statement(H *h, Node *s);
/* A statement of a file (not of a scenario or test block): its prints are
** kept, to print a scenario's figures again (hedge_print_scenario). */
void exec_top(H *h, Node *s);
/* Parses source src and runs its statements in order, as a file (hedge_load_file,
** import): a syntax error anywhere is raised before anything runs, except
** plain declarations, which run as they are read and are undone with the rest
** (exec.c, "a file, run as it is read"). Every statement is a top one (exec_top). */
void exec_source(H *h, int src);
/* Runs a print statement (again). */
void exec_print_stmt(H *h, Node *s);
/* A scenario's `let` (scenario.c applies it; exec.c keeps the globals). */
void exec_scenario_let(H *h, Node *s);
/* After a load: resolve every rule and function body, to report errors early. */
void exec_finish_load(H *h);

#endif

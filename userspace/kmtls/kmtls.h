/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kmtls CLI: what the object files share.
 */
#ifndef KMTLS_CLI_H
#define KMTLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "kmtls_nl.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

/* Exit codes. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the kernel or the system said no */
#define EXIT_USAGE	2	/* the command line is wrong */

/* One per run, on main()'s stack.  The streams are not owned. */
struct kmtls_ctx {
	struct kmtls_opts opts;
	FILE *out;
	FILE *err;
};

/* An object's (or a command's) entry point; returns an exit code. */
struct kmtls_cmd {
	const char *name;
	int (*run)(struct kmtls_ctx *ctx, int argc, char **argv);
};

/* Run a whole command line (argv[0] is the program name); exit code. */
int kmtls_run(struct kmtls_ctx *ctx, int argc, char **argv);

/*
 * Run the command that argv[0] names in table; no argument runs dflt
 * (unless NULL).  what ("object", "command") and hint ("kmtls config help")
 * word the usage errors.
 */
int kmtls_dispatch(struct kmtls_ctx *ctx, const struct kmtls_cmd *table,
		   size_t n, const struct kmtls_cmd *dflt, const char *what,
		   const char *hint, int argc, char **argv);

/* Print "kmtls: <message>" and 'Try "<hint>".' to ctx->err; EXIT_USAGE. */
int usage_error(struct kmtls_ctx *ctx, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print "Error: <message>" for a failed library call; EXIT_FAIL. */
int nl_error(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err);

/* Print "Warning: <message>" if the kernel sent one with its ACK. */
void nl_warning(struct kmtls_ctx *ctx, const struct kmtls_nl_err *err);

/* Open the netlink handle, reporting failure; EXIT_OK or EXIT_FAIL. */
int nl_open(struct kmtls_ctx *ctx, struct kmtls_nl **nlp);

/* ret from a print function: EXIT_OK, or EXIT_FAIL after reporting. */
int print_result(struct kmtls_ctx *ctx, int ret);

/* The kernel's answer to get-status. */
struct kmtls_status {
	char version[128];
	bool daemon_attached;
	uint32_t handshake_timeout_ms;
	uint32_t flows;
	uint64_t handshakes;
	uint64_t handshakes_failed;
	uint64_t config_changes;
	bool received;		/* a reply was decoded into this */
};

/* status.c */
void status_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		       struct kmtls_status *st);
int status_fetch(struct kmtls_nl *nl, struct kmtls_status *st,
		 struct kmtls_nl_err *err);
int status_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st);
int cmd_status(struct kmtls_ctx *ctx, int argc, char **argv);

/* config.c */
int config_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st);
int cmd_config(struct kmtls_ctx *ctx, int argc, char **argv);

/* help.c */
int cmd_help(struct kmtls_ctx *ctx, int argc, char **argv);
void help_main(FILE *f);
void help_status(FILE *f);
void help_config(FILE *f);

#endif /* KMTLS_CLI_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one print path.  An object is printed by a single function that
 * calls out_*() once per field; each call emits either a text line or a
 * JSON member, so text and JSON output cannot drift apart.
 *
 * Text:  "<label><sep><value>[ <unit>]\n"
 * JSON:  one object per out_begin()/out_end(), "<key>": <value>
 */
#ifndef KMTLS_OUT_H
#define KMTLS_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "json.h"

struct out {
	FILE *f;		/* the caller's */
	bool json;
	const char *sep;	/* text: between label and value */
	struct json_writer jw;
};

/* JSON when opts asks for it; text fields are "<label><sep><value>". */
void out_init(struct out *o, FILE *f, const struct kmtls_opts *opts,
	      const char *sep);

void out_begin(struct out *o);
/* label is the text name of a field; NULL means the same as key. */
void out_str(struct out *o, const char *key, const char *label,
	     const char *val);
void out_u64(struct out *o, const char *key, const char *label, uint64_t val,
	     const char *unit);
/* Text "yes"/"no", JSON true/false. */
void out_bool(struct out *o, const char *key, const char *label, bool val);
/* Returns 0, or -1 on a write error (or a misused JSON writer). */
int out_end(struct out *o);

#endif /* KMTLS_OUT_H */

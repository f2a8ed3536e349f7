/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one print path.  An object is printed by a single function that
 * calls out_*() once per field; each call emits either text or a JSON
 * member, so text and JSON output cannot drift apart.
 *
 * A single object (out_init):
 *   Text:  one line per field, "<label><sep><value>[ <unit>]\n"
 *   JSON:  one object, "<key>": <value>
 *
 * A list (out_list_init), each item between out_item_begin() and
 * out_item_end():
 *   Text:  one line per item, its fields separated by one space, each
 *          "<label> <value>", or "<value>" alone when the label is ""
 *   JSON:  an array of objects ("[]" when empty)
 *
 * A few fields exist in one form only: out_text() is a bare word of the
 * text line (a list item whose text form is a composite such as
 * "10.0.0.0/8:5432"), out_text_field() a labelled one (a value written
 * for people, "age 1.2s", whose exact form JSON has), out_json_*() a
 * member only JSON has (the same value split up, or an id that the text
 * form leaves out).
 *
 * Text strings are printed as they are, except for control characters,
 * which become "\ooo" octal escapes so that a value can neither break the
 * line structure nor drive the terminal.  JSON escapes as JSON does.
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
	bool list;		/* a list of items, not a single object */
	bool first;		/* text list: nothing printed on this line */
	const char *sep;	/* text object: between label and value */
	struct json_writer jw;
};

/* A single object; JSON when opts asks for it. */
void out_init(struct out *o, FILE *f, const struct kmtls_opts *opts,
	      const char *sep);
/* A list of items. */
void out_list_init(struct out *o, FILE *f, const struct kmtls_opts *opts);

/* Opens the JSON object or array; call once, after *_init(). */
void out_begin(struct out *o);
/* Lists: around each item's fields. */
void out_item_begin(struct out *o);
void out_item_end(struct out *o);

/* label is the text name of a field; NULL means the same as key. */
void out_str(struct out *o, const char *key, const char *label,
	     const char *val);
void out_u64(struct out *o, const char *key, const char *label, uint64_t val,
	     const char *unit);
/* Text "yes"/"no", JSON true/false. */
void out_bool(struct out *o, const char *key, const char *label, bool val);

/* Text only: a bare value, no label. */
void out_text(struct out *o, const char *val);
/* Text only: "<label> <value>" in a list, "<label><sep><value>" else. */
void out_text_field(struct out *o, const char *label, const char *val);
/* JSON only. */
void out_json_str(struct out *o, const char *key, const char *val);
void out_json_u64(struct out *o, const char *key, uint64_t val);
void out_json_bool(struct out *o, const char *key, bool val);

/* Returns 0, or -1 on a write error (or a misused JSON writer). */
int out_end(struct out *o);

#endif /* KMTLS_OUT_H */

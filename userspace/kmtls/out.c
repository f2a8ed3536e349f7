// SPDX-License-Identifier: GPL-2.0
/*
 * The one print path: each field goes out as text or as JSON.
 */
#include <inttypes.h>

#include "out.h"

void out_init(struct out *o, FILE *f, const struct kmtls_opts *opts,
	      const char *sep)
{
	*o = (struct out){
		.f = f,
		.json = opts->json || opts->pretty,
		.sep = sep,
	};
	json_init(&o->jw, f, opts->pretty);
}

void out_list_init(struct out *o, FILE *f, const struct kmtls_opts *opts)
{
	out_init(o, f, opts, " ");
	o->list = true;
}

void out_begin(struct out *o)
{
	if (!o->json)
		return;
	if (o->list)
		json_arr_open(&o->jw, NULL);
	else
		json_obj_open(&o->jw, NULL);
}

void out_item_begin(struct out *o)
{
	if (o->json)
		json_obj_open(&o->jw, NULL);
	else
		o->first = true;
}

void out_item_end(struct out *o)
{
	if (o->json)
		json_obj_close(&o->jw);
	else
		fputc('\n', o->f);
}

/* A text string, control characters escaped as in /proc/self/mountinfo. */
static void text_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\%03o", c);
		else
			fputc(c, f);
	}
}

/* What goes before a text value. */
static void text_begin(struct out *o, const char *key, const char *label)
{
	if (!label)
		label = key;
	if (o->list) {
		if (!o->first)
			fputc(' ', o->f);
		o->first = false;
		if (*label)
			fprintf(o->f, "%s ", label);
		return;
	}
	fprintf(o->f, "%s%s", label, o->sep);
}

/* What goes after it. */
static void text_end(struct out *o)
{
	if (!o->list)
		fputc('\n', o->f);
}

void out_str(struct out *o, const char *key, const char *label,
	     const char *val)
{
	if (o->json) {
		json_str(&o->jw, key, val);
		return;
	}
	text_begin(o, key, label);
	text_string(o->f, val);
	text_end(o);
}

void out_u64(struct out *o, const char *key, const char *label, uint64_t val,
	     const char *unit)
{
	if (o->json) {
		json_u64(&o->jw, key, val);
		return;
	}
	text_begin(o, key, label);
	fprintf(o->f, "%" PRIu64 "%s%s", val, unit ? " " : "",
		unit ? unit : "");
	text_end(o);
}

void out_bool(struct out *o, const char *key, const char *label, bool val)
{
	if (o->json) {
		json_bool(&o->jw, key, val);
		return;
	}
	text_begin(o, key, label);
	fputs(val ? "yes" : "no", o->f);
	text_end(o);
}

void out_text(struct out *o, const char *val)
{
	if (o->json)
		return;
	text_begin(o, "", "");
	text_string(o->f, val);
	text_end(o);
}

void out_text_field(struct out *o, const char *label, const char *val)
{
	if (o->json)
		return;
	text_begin(o, label, label);
	text_string(o->f, val);
	text_end(o);
}

void out_json_str(struct out *o, const char *key, const char *val)
{
	if (o->json)
		json_str(&o->jw, key, val);
}

void out_json_u64(struct out *o, const char *key, uint64_t val)
{
	if (o->json)
		json_u64(&o->jw, key, val);
}

void out_json_bool(struct out *o, const char *key, bool val)
{
	if (o->json)
		json_bool(&o->jw, key, val);
}

int out_end(struct out *o)
{
	if (o->json) {
		if (o->list)
			json_arr_close(&o->jw);
		else
			json_obj_close(&o->jw);
		if (json_finish(&o->jw))
			return -1;
	}
	if (fflush(o->f) == EOF || ferror(o->f))
		return -1;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The one print path: each field goes out as text or as JSON.
 */
#include <inttypes.h>

#include "out.h"

void out_init(struct out *o, FILE *f, const struct kmtls_opts *opts,
	      const char *sep)
{
	o->f = f;
	o->json = opts->json || opts->pretty;
	o->sep = sep;
	json_init(&o->jw, f, opts->pretty);
}

void out_begin(struct out *o)
{
	if (o->json)
		json_obj_open(&o->jw, NULL);
}

static void text_label(struct out *o, const char *key, const char *label)
{
	fprintf(o->f, "%s%s", label ? label : key, o->sep);
}

void out_str(struct out *o, const char *key, const char *label,
	     const char *val)
{
	if (o->json) {
		json_str(&o->jw, key, val);
		return;
	}
	text_label(o, key, label);
	fprintf(o->f, "%s\n", val);
}

void out_u64(struct out *o, const char *key, const char *label, uint64_t val,
	     const char *unit)
{
	if (o->json) {
		json_u64(&o->jw, key, val);
		return;
	}
	text_label(o, key, label);
	fprintf(o->f, "%" PRIu64 "%s%s\n", val, unit ? " " : "",
		unit ? unit : "");
}

void out_bool(struct out *o, const char *key, const char *label, bool val)
{
	if (o->json) {
		json_bool(&o->jw, key, val);
		return;
	}
	text_label(o, key, label);
	fprintf(o->f, "%s\n", val ? "yes" : "no");
}

int out_end(struct out *o)
{
	if (o->json) {
		json_obj_close(&o->jw);
		if (json_finish(&o->jw))
			return -1;
	}
	if (fflush(o->f) == EOF || ferror(o->f))
		return -1;
	return 0;
}

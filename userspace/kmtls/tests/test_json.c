// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the JSON writer (structure, escaping, pretty printing,
 * misuse detection).
 */
#include "json.h"
#include "tap.h"

static void check_escape(const char *in, const char *want, const char *name)
{
	struct capture c;
	FILE *f = capture_start(&c);

	json_write_string(f, in);
	is_str(capture_end(&c), want, name);
	capture_free(&c);
}

static void test_escape(void)
{
	check_escape("", "\"\"", "empty string");
	check_escape("plain", "\"plain\"", "plain ASCII");
	check_escape("a\"b", "\"a\\\"b\"", "double quote");
	check_escape("a\\b", "\"a\\\\b\"", "backslash");
	check_escape("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "short escapes");
	check_escape("\x01\x1f", "\"\\u0001\\u001f\"", "control characters");
	check_escape("\x7f", "\"\\u007f\"", "DEL");
	check_escape("/", "\"/\"", "slash unescaped");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"",
		     "valid UTF-8 passes through");
	check_escape("a\xff" "b", "\"a\\ufffdb\"", "invalid byte");
	check_escape("\xc3", "\"\\ufffd\"", "truncated sequence at the end");
	check_escape("\xc3(", "\"\\ufffd(\"", "bad continuation byte");
	check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong form");
	check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
		     "UTF-16 surrogate");
	check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		     "above U+10FFFF");
	check_escape("\xe2\x82", "\"\\ufffd\\ufffd\"",
		     "three-byte sequence cut short");
}

/* Write a sample document; return what came out (caller frees). */
static char *sample(bool pretty, int *finish)
{
	struct json_writer w;
	struct capture c;

	json_init(&w, capture_start(&c), pretty);
	json_obj_open(&w, NULL);
	json_str(&w, "version", "0.1.0");
	json_bool(&w, "up", true);
	json_u64(&w, "big", UINT64_MAX);
	json_arr_open(&w, "list");
	json_u64(&w, NULL, 1);
	json_null(&w, NULL);
	json_obj_open(&w, NULL);
	json_obj_close(&w);
	json_arr_close(&w);
	json_arr_open(&w, "none");
	json_arr_close(&w);
	json_obj_open(&w, "o");
	json_bool(&w, "k\"ey", false);
	json_obj_close(&w);
	json_obj_close(&w);
	*finish = json_finish(&w);
	capture_end(&c);
	return c.buf;
}

static void test_documents(void)
{
	char *s;
	int fin;

	s = sample(false, &fin);
	is_str(s, "{\"version\":\"0.1.0\",\"up\":true,"
		  "\"big\":18446744073709551615,\"list\":[1,null,{}],"
		  "\"none\":[],\"o\":{\"k\\\"ey\":false}}\n",
	       "compact document");
	is_int(fin, 0, "compact document finishes cleanly");
	free(s);

	s = sample(true, &fin);
	is_str(s, "{\n"
		  "  \"version\": \"0.1.0\",\n"
		  "  \"up\": true,\n"
		  "  \"big\": 18446744073709551615,\n"
		  "  \"list\": [\n"
		  "    1,\n"
		  "    null,\n"
		  "    {}\n"
		  "  ],\n"
		  "  \"none\": [],\n"
		  "  \"o\": {\n"
		  "    \"k\\\"ey\": false\n"
		  "  }\n"
		  "}\n",
	       "pretty document");
	is_int(fin, 0, "pretty document finishes cleanly");
	free(s);
}

/* Each misuse must make json_finish() fail. */
static void misuse(int which, const char *name)
{
	struct json_writer w;
	struct capture c;
	int i;

	json_init(&w, capture_start(&c), false);
	switch (which) {
	case 0:		/* key at top level */
		json_u64(&w, "k", 1);
		break;
	case 1:		/* member without a key */
		json_obj_open(&w, NULL);
		json_u64(&w, NULL, 1);
		json_obj_close(&w);
		break;
	case 2:		/* key inside an array */
		json_arr_open(&w, NULL);
		json_u64(&w, "k", 1);
		json_arr_close(&w);
		break;
	case 3:		/* unclosed object */
		json_obj_open(&w, NULL);
		break;
	case 4:		/* wrong close */
		json_obj_open(&w, NULL);
		json_arr_close(&w);
		break;
	case 5:		/* close without open */
		json_obj_close(&w);
		break;
	case 6:		/* two top-level values */
		json_u64(&w, NULL, 1);
		json_u64(&w, NULL, 2);
		break;
	case 7:		/* nothing written */
		break;
	case 8:		/* too deep */
		for (i = 0; i <= JSON_MAX_DEPTH; i++)
			json_arr_open(&w, NULL);
		for (i = 0; i <= JSON_MAX_DEPTH; i++)
			json_arr_close(&w);
		break;
	}
	ok(json_finish(&w) != 0, "misuse detected: %s", name);
	capture_end(&c);
	capture_free(&c);
}

static void test_misuse(void)
{
	static const char *const names[] = {
		"key at top level", "member without key", "key in array",
		"unclosed object", "mismatched close", "close without open",
		"two top-level values", "empty document", "nesting too deep",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		misuse((int)i, names[i]);
}

static void test_scalar_top(void)
{
	struct json_writer w;
	struct capture c;

	json_init(&w, capture_start(&c), true);
	json_str(&w, NULL, "x");
	is_int(json_finish(&w), 0, "scalar document finishes");
	is_str(capture_end(&c), "\"x\"\n", "scalar document");
	capture_free(&c);
}

int main(void)
{
	test_escape();
	test_documents();
	test_misuse();
	test_scalar_top();
	return tap_done();
}

/* SPDX-License-Identifier: MIT */
/*
 * The control socket's requests: one line of JSON in, one line out.
 * Parsing is json-c's strict tokener with a small depth limit; the
 * request must be an object with a known "cmd" and nothing but an
 * optional in-range "vcpu". Only then is the VM called, through the ops
 * table; everything a client sends is checked before that point.
 */
#define pr_fmt(fmt) "api: " fmt
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/log.h"
#include "stats_json.h"
#include "base/util.h"

/* Requests are flat objects: anything nested deeper is hostile. */
#define API_MAX_DEPTH 4

enum api_cmd { CMD_PAUSE, CMD_RESUME, CMD_STOP, CMD_STATS, CMD_VCPUS };

static const struct {
	const char *name;
	bool takes_vcpu;
} cmds[] = {
    [CMD_PAUSE] = {"pause", true},  [CMD_RESUME] = {"resume", true},
    [CMD_STOP] = {"stop", false},   [CMD_STATS] = {"stats", false},
    [CMD_VCPUS] = {"vcpus", false},
};

/* Serialise @obj as one line, drop it, return a malloc'd copy. */
static char *to_line(struct json_object *obj)
{
	const char *s;
	char *line = NULL;

	if (!obj)
		return NULL;
	s = json_object_to_json_string_ext(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		line = strdup(s);
	json_object_put(obj);
	return line;
}

static char *reply_error(const char *why)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(why));
	return to_line(o);
}

static struct json_object *reply_ok(void)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

/*
 * Parse @line as a JSON object. NULL with @why set when it is not exactly
 * one well-formed object (trailing bytes, NULs, bad UTF-8, too deep).
 */
static struct json_object *parse(const char *line, size_t len, const char **why)
{
	struct json_tokener *tok;
	struct json_object *obj;
	char buf[API_MAX_LINE];

	*why = "malformed JSON";
	/* A line and its newline must fit in API_MAX_LINE bytes. */
	if (len >= API_MAX_LINE) {
		*why = "request too long";
		return NULL;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
		       line[len - 1] == '\r'))
		len--;
	if (!len) {
		*why = "empty request";
		return NULL;
	}
	if (memchr(line, '\0', len))
		return NULL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	tok = json_tokener_new_ex(API_MAX_DEPTH);
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	/* Including the NUL tells the tokener the input ends there. */
	obj = json_tokener_parse_ex(tok, buf, (int)len + 1);
	if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) < len)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	if (obj && !json_object_is_type(obj, json_type_object)) {
		*why = "request is not a JSON object";
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/*
 * Check the request's fields; on success *@cmd and *@vcpu (-1: all) are
 * set. Returns NULL or the reason to reject it.
 */
static const char *validate(const struct api *api, struct json_object *req,
			    enum api_cmd *cmd, int *vcpu)
{
	struct json_object *c = NULL, *v = NULL;
	const char *name;
	bool has_vcpu;
	size_t i;
	int64_t n;

	if (!json_object_object_get_ex(req, "cmd", &c) ||
	    !json_object_is_type(c, json_type_string))
		return "missing \"cmd\" string";
	has_vcpu = json_object_object_get_ex(req, "vcpu", &v);
	/* Any key besides these two is one we do not know. */
	if (json_object_object_length(req) != 1 + has_vcpu)
		return "unknown field";
	name = json_object_get_string(c);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(name, cmds[i].name))
			break;
	if (i == ARRAY_SIZE(cmds))
		return "unknown command";
	*cmd = (enum api_cmd)i;
	*vcpu = -1;
	if (!has_vcpu)
		return NULL;
	if (!cmds[*cmd].takes_vcpu)
		return "this command takes no \"vcpu\"";
	if (!json_object_is_type(v, json_type_int))
		return "\"vcpu\" must be an integer";
	n = json_object_get_int64(v);
	if (n < 0 || n >= (int64_t)api->nr_vcpus)
		return "no such vcpu";
	*vcpu = (int)n;
	return NULL;
}

/* stats / vcpus: snapshot the VM and wrap the document in a reply. */
static char *reply_stats(struct api *api, bool brief)
{
	struct json_object *o;
	struct vm_stats st;
	int r;

	if (vm_stats_alloc(&st, api->nr_vcpus))
		return reply_error(strerror(ENOMEM));
	st.nr_vcpus = api->nr_vcpus;
	r = api->ops->snapshot(api->vm, &st);
	if (r) {
		vm_stats_free(&st);
		return reply_error(strerror(-r));
	}
	o = reply_ok();
	if (o && stats_json_fill(o, &st, brief)) {
		json_object_put(o);
		o = NULL;
	}
	vm_stats_free(&st);
	return o ? to_line(o) : reply_error(strerror(ENOMEM));
}

static char *dispatch(struct api *api, enum api_cmd cmd, int vcpu)
{
	int r = 0;

	switch (cmd) {
	case CMD_PAUSE: r = api->ops->pause(api->vm, vcpu); break;
	case CMD_RESUME: r = api->ops->resume(api->vm, vcpu); break;
	case CMD_STOP: r = api->ops->stop(api->vm); break;
	case CMD_STATS: return reply_stats(api, false);
	case CMD_VCPUS: return reply_stats(api, true);
	}
	if (r)
		return reply_error(strerror(-r));
	return to_line(reply_ok());
}

char *api_handle(struct api *api, const char *line, size_t len)
{
	struct json_object *req;
	const char *why;
	enum api_cmd cmd;
	int vcpu;

	req = parse(line, len, &why);
	if (!req)
		return reply_error(why);
	why = validate(api, req, &cmd, &vcpu);
	json_object_put(req);
	if (why)
		return reply_error(why);
	pr_debug("request %s vcpu %d", cmds[cmd].name, vcpu);
	return dispatch(api, cmd, vcpu);
}

/* SPDX-License-Identifier: MIT */
/*
 * config.json -> struct oci_spec with json-c. Each reader takes the
 * object, the member's name and its dotted path for messages
 * ("process.user.uid"). JSON null counts as absent; a string holding a
 * NUL byte is refused, since the process description cannot carry it.
 */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

/* Where a reader reports. */
struct oci_err {
	char *buf;
	size_t len;
};

static int bad(const struct oci_err *e, const char *path, const char *want)
{
	snprintf(e->buf, e->len, "config.json: %s: want %s", path, want);
	return -EINVAL;
}

static int oom(const struct oci_err *e)
{
	snprintf(e->buf, e->len, "config.json: out of memory");
	return -ENOMEM;
}

/* The member @key of @o, NULL when absent or null (or @o is NULL). */
static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* An object member, or NULL; anything else is an error. */
static int get_object(json_object *o, const char *key, const char *path,
		      json_object **out, const struct oci_err *e)
{
	json_object *v = member(o, key);

	*out = NULL;
	if (v && !json_object_is_type(v, json_type_object))
		return bad(e, path, "an object");
	*out = v;
	return 0;
}

static int dup_string(json_object *v, const char *path, char **out,
		      const struct oci_err *e)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return bad(e, path, "a string");
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (memchr(s, '\0', (size_t)len))
		return bad(e, path, "a string without NUL bytes");
	*out = strdup(s);
	return *out ? 0 : oom(e);
}

static int get_string(json_object *o, const char *key, const char *path,
		      char **out, const struct oci_err *e)
{
	json_object *v = member(o, key);

	return v ? dup_string(v, path, out, e) : 0;
}

static int get_bool(json_object *o, const char *key, const char *path,
		    bool *out, const struct oci_err *e)
{
	json_object *v = member(o, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(e, path, "true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

/* An integer of @min..@max; uint64 values past INT64_MAX come through. */
static int int_value(json_object *v, const char *path, int64_t min,
		     uint64_t max, uint64_t *out, const struct oci_err *e)
{
	int64_t i;

	if (!json_object_is_type(v, json_type_int))
		return bad(e, path, "an integer");
	i = json_object_get_int64(v);
	if (i == INT64_MAX) /* saturated: json-c holds it as a uint64 */
		*out = json_object_get_uint64(v);
	else if (i < min)
		return bad(e, path,
			   min < 0 ? "a larger integer"
				   : "a non-negative integer");
	else
		*out = (uint64_t)i;
	if (i >= 0 && *out > max)
		return bad(e, path, "a smaller integer");
	return 0;
}

/*
 * The largest uid or gid: (uid_t)-1 means "leave it" to setresuid() and
 * setgroups() refuses it, and so does the runner's init reading the
 * process description; refused here, it fails before a VM boots.
 */
#define OCI_ID_MAX (UINT32_MAX - 1u)

static int get_u32(json_object *o, const char *key, const char *path,
		   uint32_t max, uint32_t *out, bool *present,
		   const struct oci_err *e)
{
	json_object *v = member(o, key);
	uint64_t x;
	int r;

	if (!v)
		return 0;
	r = int_value(v, path, 0, max, &x, e);
	if (!r) {
		*out = (uint32_t)x;
		if (present)
			*present = true;
	}
	return r;
}

static int get_u64(json_object *o, const char *key, const char *path,
		   uint64_t *out, const struct oci_err *e)
{
	json_object *v = member(o, key);

	return v ? int_value(v, path, 0, UINT64_MAX, out, e) : 0;
}

static int get_i64(json_object *o, const char *key, const char *path,
		   int64_t *out, const struct oci_err *e)
{
	json_object *v = member(o, key);
	uint64_t x;
	int r;

	if (!v)
		return 0;
	r = int_value(v, path, INT64_MIN, INT64_MAX, &x, e);
	if (!r)
		*out = (int64_t)x;
	return r;
}

/* An array of strings into a NULL-terminated malloc'd vector. */
static int get_strings(json_object *o, const char *key, const char *path,
		       char ***out, size_t *n, const struct oci_err *e)
{
	json_object *v = member(o, key);
	size_t len;
	int r;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return bad(e, path, "an array of strings");
	len = json_object_array_length(v);
	*out = calloc(len + 1, sizeof(**out));
	if (!*out)
		return oom(e);
	for (*n = 0; *n < len; (*n)++) {
		r = dup_string(json_object_array_get_idx(v, *n), path,
			       &(*out)[*n], e);
		if (r)
			return r;
	}
	return 0;
}

static int parse_groups(json_object *user, struct oci_spec *s,
			const struct oci_err *e)
{
	const char *path = "process.user.additionalGids";
	json_object *v = member(user, "additionalGids");
	size_t len;
	int r;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return bad(e, path, "an array of integers");
	len = json_object_array_length(v);
	s->groups = calloc(len ? len : 1, sizeof(*s->groups));
	if (!s->groups)
		return oom(e);
	for (; s->nr_groups < len; s->nr_groups++) {
		uint64_t g;

		r = int_value(json_object_array_get_idx(v, s->nr_groups), path,
			      0, OCI_ID_MAX, &g, e);
		if (r)
			return r;
		s->groups[s->nr_groups] = (uint32_t)g;
	}
	return 0;
}

static int parse_rlimits(json_object *proc, struct oci_spec *s,
			 const struct oci_err *e)
{
	const char *path = "process.rlimits";
	json_object *v = member(proc, "rlimits");
	size_t len;
	int r;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return bad(e, path, "an array of objects");
	len = json_object_array_length(v);
	s->rlimits = calloc(len ? len : 1, sizeof(*s->rlimits));
	if (!s->rlimits)
		return oom(e);
	for (; s->nr_rlimits < len; s->nr_rlimits++) {
		json_object *l = json_object_array_get_idx(v, s->nr_rlimits);
		struct oci_rlimit *rl = &s->rlimits[s->nr_rlimits];

		if (!json_object_is_type(l, json_type_object))
			return bad(e, path, "an array of objects");
		r = get_string(l, "type", "process.rlimits[].type", &rl->type,
			       e);
		if (!r && !rl->type)
			r = bad(e, "process.rlimits[].type", "a limit's name");
		if (!r)
			r = get_u64(l, "soft", "process.rlimits[].soft",
				    &rl->soft, e);
		if (!r)
			r = get_u64(l, "hard", "process.rlimits[].hard",
				    &rl->hard, e);
		/* setrlimit() refuses it, and so does the runner. */
		if (!r && rl->soft > rl->hard)
			r = bad(e, "process.rlimits[].soft",
				"a soft limit not above the hard one");
		if (r) {
			free(rl->type); /* not counted yet */
			rl->type = NULL;
			return r;
		}
	}
	return 0;
}

/*
 * What the runner's init requires of the process description
 * (docs/runner-protocol.md) and the OCI spec asks too: a program name,
 * NAME=value variables, an absolute cwd within PATH_MAX, a hostname
 * sethostname() takes. Refused here, before a VM boots for nothing.
 */
#define OCI_CWD_MAX	 4095 /* PATH_MAX less its NUL */
#define OCI_HOSTNAME_MAX 64   /* HOST_NAME_MAX */

static int check_process(const struct oci_spec *s, const struct oci_err *e)
{
	if (s->nr_args && !s->args[0][0])
		return bad(e, "process.args", "a program name first");
	for (size_t i = 0; i < s->nr_env; i++) {
		const char *eq = strchr(s->env[i], '=');

		if (!eq || eq == s->env[i])
			return bad(e, "process.env", "NAME=value strings");
	}
	if (s->cwd && (s->cwd[0] != '/' || strlen(s->cwd) > OCI_CWD_MAX))
		return bad(e, "process.cwd",
			   "an absolute path of at most 4095 bytes");
	return 0;
}

static int parse_process(json_object *root, struct oci_spec *s,
			 const struct oci_err *e)
{
	json_object *proc, *user;
	int r;

	r = get_object(root, "process", "process", &proc, e);
	if (!r)
		r = get_strings(proc, "args", "process.args", &s->args,
				&s->nr_args, e);
	if (!r)
		r = get_strings(proc, "env", "process.env", &s->env, &s->nr_env,
				e);
	if (!r)
		r = get_string(proc, "cwd", "process.cwd", &s->cwd, e);
	if (!r)
		r = get_bool(proc, "terminal", "process.terminal", &s->terminal,
			     e);
	if (!r)
		r = get_object(proc, "user", "process.user", &user, e);
	if (!r)
		r = get_u32(user, "uid", "process.user.uid", OCI_ID_MAX,
			    &s->uid, NULL, e);
	if (!r)
		r = get_u32(user, "gid", "process.user.gid", OCI_ID_MAX,
			    &s->gid, NULL, e);
	if (!r)
		r = get_u32(user, "umask", "process.user.umask", UINT32_MAX,
			    &s->umask, &s->has_umask, e);
	if (!r)
		r = parse_groups(user, s, e);
	if (!r)
		r = parse_rlimits(proc, s, e);
	if (!r)
		r = check_process(s, e);
	return r;
}

static int parse_resources(json_object *root, struct oci_spec *s,
			   const struct oci_err *e)
{
	json_object *linux_, *res, *mem, *cpu;
	int r;

	r = get_object(root, "linux", "linux", &linux_, e);
	if (!r)
		r = get_object(linux_, "resources", "linux.resources", &res, e);
	if (!r)
		r = get_object(res, "memory", "linux.resources.memory", &mem,
			       e);
	if (!r)
		r = get_i64(mem, "limit", "linux.resources.memory.limit",
			    &s->mem_limit, e);
	if (!r)
		r = get_object(res, "cpu", "linux.resources.cpu", &cpu, e);
	if (!r)
		r = get_i64(cpu, "quota", "linux.resources.cpu.quota",
			    &s->cpu_quota, e);
	if (!r)
		r = get_u64(cpu, "period", "linux.resources.cpu.period",
			    &s->cpu_period, e);
	if (!r)
		r = get_string(cpu, "cpus", "linux.resources.cpu.cpus",
			       &s->cpuset, e);
	return r;
}

static int parse_root(json_object *root, struct oci_spec *s,
		      const struct oci_err *e)
{
	json_object *r_;
	int r;

	r = get_object(root, "root", "root", &r_, e);
	if (!r)
		r = get_string(r_, "path", "root.path", &s->root_path, e);
	if (!r)
		r = get_bool(r_, "readonly", "root.readonly", &s->root_readonly,
			     e);
	if (!r)
		r = get_string(root, "hostname", "hostname", &s->hostname, e);
	if (!r && s->hostname && strlen(s->hostname) > OCI_HOSTNAME_MAX)
		r = bad(e, "hostname", "at most 64 bytes");
	return r;
}

static int parse_annotations(json_object *root, struct oci_spec *s,
			     const struct oci_err *e)
{
	json_object *ann;
	int r;

	r = get_object(root, "annotations", "annotations", &ann, e);
	if (!r)
		r = get_string(ann, OCI_ANN_CPUS, "annotations." OCI_ANN_CPUS,
			       &s->ann_cpus, e);
	if (!r)
		r = get_string(ann, OCI_ANN_MEM, "annotations." OCI_ANN_MEM,
			       &s->ann_mem, e);
	if (!r)
		r = get_string(ann, OCI_ANN_KERNEL,
			       "annotations." OCI_ANN_KERNEL, &s->ann_kernel,
			       e);
	if (!r)
		r = get_string(ann, OCI_ANN_INIT, "annotations." OCI_ANN_INIT,
			       &s->ann_init, e);
	if (!r)
		r = get_string(ann, OCI_ANN_SERIAL,
			       "annotations." OCI_ANN_SERIAL, &s->ann_serial,
			       e);
	return r;
}

/* Nothing but JSON's white space follows the document. */
static bool only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]) || !s[i])
			return false;
	return true;
}

int oci_spec_parse(const char *json, size_t len, struct oci_spec *spec,
		   char *err, size_t err_len)
{
	const struct oci_err e = {err, err_len};
	struct json_tokener *tok;
	json_object *root;
	int r;

	memset(spec, 0, sizeof(*spec));
	if (len > OCI_SPEC_MAX || len > (size_t)INT32_MAX) {
		snprintf(err, err_len, "config.json: larger than %u bytes",
			 OCI_SPEC_MAX);
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok)
		return oom(&e);
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (!root || !only_space(json + json_tokener_get_parse_end(tok),
				 len - json_tokener_get_parse_end(tok))) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		snprintf(err, err_len, "config.json: %s",
			 je == json_tokener_success ||
				 je == json_tokener_continue
			     ? "not one JSON document"
			     : json_tokener_error_desc(je));
		json_object_put(root);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object))
		r = bad(&e, "the document", "an object");
	else
		r = parse_process(root, spec, &e);
	if (!r)
		r = parse_root(root, spec, &e);
	if (!r)
		r = parse_resources(root, spec, &e);
	if (!r)
		r = parse_annotations(root, spec, &e);
	json_object_put(root);
	if (r)
		oci_spec_free(spec);
	return r;
}

int oci_spec_read(const char *path, struct oci_spec *spec, char *err,
		  size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *buf = NULL;
	struct stat st;
	ssize_t n = 0;
	int r;

	memset(spec, 0, sizeof(*spec));
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > OCI_SPEC_MAX) {
		snprintf(err, err_len,
			 "%s: not a regular file of at most %u "
			 "bytes",
			 path, OCI_SPEC_MAX);
		r = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		snprintf(err, err_len, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size &&
	       ((n = read(fd, buf + len, (size_t)st.st_size - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (n < 0) {
		r = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(-r));
		goto out;
	}
	r = oci_spec_parse(buf, len, spec, err, err_len);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static void free_vector(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void oci_spec_free(struct oci_spec *s)
{
	free_vector(s->args, s->nr_args);
	free_vector(s->env, s->nr_env);
	free(s->cwd);
	free(s->groups);
	for (size_t i = 0; s->rlimits && i < s->nr_rlimits; i++)
		free(s->rlimits[i].type);
	free(s->rlimits);
	free(s->hostname);
	free(s->root_path);
	free(s->cpuset);
	free(s->ann_cpus);
	free(s->ann_mem);
	free(s->ann_kernel);
	free(s->ann_init);
	free(s->ann_serial);
	memset(s, 0, sizeof(*s));
}

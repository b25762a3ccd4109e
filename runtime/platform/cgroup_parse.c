/* Parsing /proc/.../cgroup and mountinfo (see cgroup_parse.h). */
#include "platform/cgroup_parse.h"

#include <stdio.h>
#include <string.h>

#define LINE_MAX_LEN 4096

/* Copies the next line of [*pos, end) into line (truncated lines are
 * marked by *too_long) and advances *pos past its newline. */
static bool next_line(const char **pos, const char *end, char *line, size_t cap,
                      bool *too_long)
{
    if (*pos >= end)
        return false;
    const char *nl = memchr(*pos, '\n', (size_t)(end - *pos));
    size_t n = (size_t)((nl ? nl : end) - *pos);
    *too_long = n >= cap;
    if (!*too_long) {
        memcpy(line, *pos, n);
        line[n] = '\0';
    }
    *pos = nl ? nl + 1 : end;
    return true;
}

/* Whether the comma-separated list has `word` as one of its items. */
static bool has_item(const char *list, const char *word)
{
    size_t w = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == w && !strncmp(p, word, w))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static bool copy_path(char *dst, size_t cap, const char *src)
{
    if (src[0] != '/' || strlen(src) >= cap)
        return false;
    snprintf(dst, cap, "%s", src);
    return true;
}

bool va_cgroup_parse(const char *text, size_t len, va_cgroup_paths *out)
{
    memset(out, 0, sizeof *out);
    const char *pos = text, *end = text + len;
    char line[LINE_MAX_LEN];
    bool too_long;
    while (next_line(&pos, end, line, sizeof line, &too_long)) {
        char *c1 = too_long ? NULL : strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *id = line, *ctrls = c1 + 1, *path = c2 + 1;
        if (!strcmp(id, "0") && !*ctrls && !out->v2)
            out->v2 = copy_path(out->v2_path, sizeof out->v2_path, path);
        else if (has_item(ctrls, "cpuset") && !out->v1_cpuset)
            out->v1_cpuset = copy_path(out->v1_path, sizeof out->v1_path, path);
    }
    return out->v1_cpuset || out->v2;
}

/* Decodes mountinfo's octal escapes (\040 space, \011 tab, \012 newline,
 * \134 backslash) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Splits a mountinfo line: root (field 4), mount point (5), and after the
 * " - " separator the file system type and super options. */
static bool split_mountinfo(char *line, char **root, char **point, char **fstype,
                            char **super)
{
    char *fields[6] = {0}, *save = NULL, *tok = strtok_r(line, " ", &save);
    unsigned n = 0;
    for (; tok && n < 6; tok = strtok_r(NULL, " ", &save))
        fields[n++] = tok;
    if (n < 6)
        return false;
    while (tok && strcmp(tok, "-")) /* optional fields, then "-" */
        tok = strtok_r(NULL, " ", &save);
    char *type = tok ? strtok_r(NULL, " ", &save) : NULL;
    char *source = type ? strtok_r(NULL, " ", &save) : NULL;
    char *opts = source ? strtok_r(NULL, " ", &save) : NULL;
    if (!opts)
        return false;
    *root = fields[3];
    *point = fields[4];
    *fstype = type;
    *super = opts;
    return true;
}

static void take_mount(va_cgroup_mount *m, char *root, char *point)
{
    unescape(root);
    unescape(point);
    if (m->found || root[0] != '/' || point[0] != '/' || strlen(root) >= sizeof m->root ||
        strlen(point) >= sizeof m->point)
        return;
    snprintf(m->root, sizeof m->root, "%s", root);
    snprintf(m->point, sizeof m->point, "%s", point);
    m->found = true;
}

void va_mountinfo_cgroups(const char *text, size_t len, va_cgroup_mount *v1_cpuset,
                          va_cgroup_mount *v2)
{
    memset(v1_cpuset, 0, sizeof *v1_cpuset);
    memset(v2, 0, sizeof *v2);
    const char *pos = text, *end = text + len;
    char line[LINE_MAX_LEN];
    bool too_long;
    while (next_line(&pos, end, line, sizeof line, &too_long)) {
        char *root, *point, *fstype, *super;
        if (too_long || !split_mountinfo(line, &root, &point, &fstype, &super))
            continue;
        if (!strcmp(fstype, "cgroup2"))
            take_mount(v2, root, point);
        else if (!strcmp(fstype, "cgroup") && has_item(super, "cpuset"))
            take_mount(v1_cpuset, root, point);
    }
}

bool va_cgroup_dir(const va_cgroup_mount *m, const char *path, char *out, size_t len)
{
    if (!m->found || path[0] != '/' || strstr(path, "/..") || strstr(path, "/./"))
        return false;
    size_t rl = strlen(m->root);
    const char *rest = path;
    if (strcmp(m->root, "/")) {
        /* Below the mount's root: "/a/b" under root "/a" is "/b". */
        if (strncmp(path, m->root, rl) || (path[rl] != '/' && path[rl] != '\0'))
            return false;
        rest = path + rl;
    }
    if (!strcmp(rest, "/"))
        rest = "";
    int n = snprintf(out, len, "%s%s", m->point, rest);
    return n > 0 && (size_t)n < len;
}

bool va_cgroup_parent(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash || !strcmp(path, "/") || path[0] != '/')
        return false;
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/a" -> "/" */
    if (n >= len)
        return false;
    memcpy(out, path, n);
    out[n] = '\0';
    return true;
}

/* vmaccel run: the terminal the live view is drawn on - its size, line
 * wrapping, and the keys that page through the VMs. */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static unsigned env_size(const char *name, unsigned fallback)
{
    unsigned long v;
    const char *s = getenv(name);
    return s && cli_parse_uint(s, 10000, &v) == 0 && v > 0 ? (unsigned)v : fallback;
}

void run_term_size(unsigned *rows, unsigned *cols)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
        return;
    }
    *rows = env_size("LINES", 24);
    *cols = env_size("COLUMNS", 80);
}

void run_view_begin(run_state *s)
{
    /* A line wider than the screen is cut, never wrapped onto the next. */
    fputs("\033[?7l", stdout);
    fflush(stdout);
    /* Keys only from the terminal we are in the foreground of: changing a
     * background job's terminal would stop it (SIGTTOU). */
    if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() ||
        tcgetattr(STDIN_FILENO, &s->saved_tty) != 0)
        return;
    struct termios raw = s->saved_tty;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    s->view_keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

static void keys_off(run_state *s)
{
    if (s->view_keys)
        tcsetattr(STDIN_FILENO, TCSANOW, &s->saved_tty);
    s->view_keys = false;
}

void run_view_end(run_state *s)
{
    keys_off(s);
    fputs("\033[?7h\n", stdout);
    fflush(stdout);
}

/* Page Up/Down arrive as ESC [ 5 ~ and ESC [ 6 ~. */
static int key_step(const char *k, size_t n, size_t *used)
{
    *used = 1;
    if (n >= 4 && k[0] == '\033' && k[1] == '[' && (k[2] == '5' || k[2] == '6') && k[3] == '~') {
        *used = 4;
        return k[2] == '5' ? -1 : 1;
    }
    switch (k[0]) {
    case ' ': case 'n': case 'j': case '+': return 1;
    case 'p': case 'b': case 'k': case '-': return -1;
    case 'g': return -1000000; /* first page; the render clamps */
    case 'G': return 1000000;
    }
    return 0;
}

bool run_keys_read(run_state *s)
{
    char k[64];
    ssize_t n = read(STDIN_FILENO, k, sizeof k);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return false;
    if (n <= 0) { /* the terminal went away: stop reading it */
        keys_off(s);
        return false;
    }
    for (size_t i = 0, used; i < (size_t)n; i += used) {
        if (k[i] == 'q' || k[i] == 'Q')
            return true;
        long page = (long)s->view_page + key_step(k + i, (size_t)n - i, &used);
        s->view_page = page < 0 ? 0 : page > 1000000 ? 1000000 : (unsigned)page;
    }
    return false;
}

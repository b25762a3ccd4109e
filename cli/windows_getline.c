/* POSIX getline for the Windows build (mingw-w64 has none; declared in
 * runtime/platform/windows_posix.h): one line with its '\n', of any
 * length, into *line grown as needed. -1 at end of file with nothing read,
 * or when out of memory (errno ENOMEM). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

ssize_t getline(char **line, size_t *cap, FILE *f)
{
    size_t used = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (used + 2 > *cap || !*line) {
            size_t ncap = *cap > 64 ? *cap * 2 : 128;
            char *grown = realloc(*line, ncap);
            if (!grown) {
                errno = ENOMEM;
                return -1;
            }
            *line = grown;
            *cap = ncap;
        }
        (*line)[used++] = (char)c;
        if (c == '\n')
            break;
    }
    if (used == 0)
        return -1;
    (*line)[used] = '\0';
    return (ssize_t)used;
}

/* Internal: printf-style argument checking for the project's formatters.
 * mingw-w64's GCC reads format(printf) as the Microsoft CRT's dialect (no
 * %zu); the Windows build uses mingw's C99 stdio, which is GNU printf.
 * Clang has no gnu_printf, so the spelling differs per compiler. */
#ifndef VA_CORE_PRINTF_ATTR_H
#define VA_CORE_PRINTF_ATTR_H

#if defined(__MINGW32__)
#define VA_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define VA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

#endif

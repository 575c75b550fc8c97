/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * banned.h - libc calls we do not use.  Include it last, after every system
 * header.  Use the bounded or reentrant replacement named in the message.
 */
#ifndef TRAWL_BANNED_H
#define TRAWL_BANNED_H

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy_use_memcpy_with_a_length)
#undef strcat
#define strcat(x, y) BANNED(strcat_use_a_buf)
#undef sprintf
#define sprintf(...) BANNED(sprintf_use_snprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf_use_vsnprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok_parse_with_spans)
#undef atoi
#define atoi(x) BANNED(atoi_use_strtol_with_checks)
#undef atol
#define atol(x) BANNED(atol_use_strtol_with_checks)
#undef gets
#define gets(x) BANNED(gets)
#undef localtime
#define localtime(x) BANNED(localtime_use_gmtime_r)
#undef gmtime
#define gmtime(x) BANNED(gmtime_use_gmtime_r)

#endif

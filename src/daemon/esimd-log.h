/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's log: one line per message on stderr (journald adds the time),
 * "esimd[pid]: <level> [euicc0] message", filtered by a runtime level.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	ESIMD_LOG_LEVEL_ERROR,
	ESIMD_LOG_LEVEL_WARNING,
	ESIMD_LOG_LEVEL_INFO,
	ESIMD_LOG_LEVEL_DEBUG,
} EsimdLogLevel;

/* Installs the log writer; until esimd_log_set_level() the level is info. */
void          esimd_log_init (void);
void          esimd_log_set_level (EsimdLogLevel level);
EsimdLogLevel esimd_log_get_level (void);
const gchar  *esimd_log_level_to_string (EsimdLogLevel level);
gboolean      esimd_log_level_from_string (const gchar *str, EsimdLogLevel *level);

/* Logs with an object id such as "euicc0" shown in brackets. */
void          esimd_log_object (const gchar *log_id, GLogLevelFlags level, const gchar *format, ...)
	G_GNUC_PRINTF (3, 4);

#define esimd_obj_debug(id, ...) esimd_log_object ((id), G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define esimd_obj_info(id, ...)  esimd_log_object ((id), G_LOG_LEVEL_INFO, __VA_ARGS__)
#define esimd_obj_warn(id, ...)  esimd_log_object ((id), G_LOG_LEVEL_WARNING, __VA_ARGS__)

G_END_DECLS

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's log, filtered by a runtime level (and G_MESSAGES_DEBUG, as GLib's own
 * writer does).  Under systemd, when stderr is the journal, every message goes
 * to the journal with its priority and structured fields: ESIMD_OBJECT (the
 * log id, "euicc0", "mm"), ESIMD_EUICC (the log id of an eUICC) and ESIMD_EID
 * (masked unless personal info is logged), through GLib's journald writer, so
 * without libsystemd.  Otherwise one line per message on stderr,
 * "esimd[pid]: <level> [euicc0] message".
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

/* structured fields esimd adds (see esimd(8)) */
#define ESIMD_LOG_FIELD_OBJECT "ESIMD_OBJECT"
#define ESIMD_LOG_FIELD_EUICC  "ESIMD_EUICC"
#define ESIMD_LOG_FIELD_EID    "ESIMD_EID"

/* Installs the log writer; until esimd_log_set_level() the level is info. */
void          esimd_log_init (void);
void          esimd_log_set_level (EsimdLogLevel level);
EsimdLogLevel esimd_log_get_level (void);
const gchar  *esimd_log_level_to_string (EsimdLogLevel level);
gboolean      esimd_log_level_from_string (const gchar *str, EsimdLogLevel *level);

/* Logs with an object id such as "euicc0" shown in brackets. */
void          esimd_log_object (const gchar *log_id, GLogLevelFlags level, const gchar *format, ...)
	G_GNUC_PRINTF (3, 4);
/* The EID of the eUICC logged as @log_id, for ESIMD_EID; NULL forgets it. */
void          esimd_log_set_eid (const gchar *log_id, const gchar *eid);

#define esimd_obj_debug(id, ...) esimd_log_object ((id), G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define esimd_obj_info(id, ...)  esimd_log_object ((id), G_LOG_LEVEL_INFO, __VA_ARGS__)
#define esimd_obj_warn(id, ...)  esimd_log_object ((id), G_LOG_LEVEL_WARNING, __VA_ARGS__)

/* The writer's parts, for tests. */
/* Whether a message of @flags in @domain passes the level and G_MESSAGES_DEBUG. */
gboolean      esimd_log_wants (GLogLevelFlags flags, const gchar *domain);
/* The fields sent to the journal: @fields, a PRIORITY if they have none,
 * SYSLOG_IDENTIFIER and esimd's own fields.  Values are owned by the array. */
GArray       *esimd_log_journal_fields (GLogLevelFlags flags, const GLogField *fields,
                                        gsize n_fields);
void          esimd_log_journal_fields_free (GArray *fields);
/* The stderr line, with its newline. */
gchar        *esimd_log_format_line (GLogLevelFlags flags, const GLogField *fields,
                                     gsize n_fields);

G_END_DECLS

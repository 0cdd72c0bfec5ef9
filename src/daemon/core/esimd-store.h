/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's persistent state: the state directory (--state-dir, by default
 * /var/lib/esimd, the unit's StateDirectory) and one small record per eUICC
 * in it, keyed by EID (euicc-EID.ini, a GLib key file).
 *
 * A record is written whole and atomically (esim_file_replace: the old or the
 * new file survives a crash, never a mix) and is at most
 * ESIMD_STORE_RECORD_MAX_BYTES.  One that cannot be read back (not a key
 * file, a bad value, too large, not a regular file) is moved aside to
 * euicc-EID.ini.corrupt (one per eUICC, replacing an older one) with a log
 * line and reads as empty: never a crash, never a refusal to start.
 *
 * What it records, for the notification queue: per pending notification of
 * an eUICC, whether the server accepted it (so that after a restart it is
 * removed from the card without being sent again) and the failed attempts
 * and next attempt time (so that retries keep their backoff).
 *
 * And for the eIM poll (flows/esim-poll-cycle.h EsimPollJournal): the
 * results the card does not keep (IpaEuiccDataResponse,
 * ProfileDownloadTriggerResult…), saved before they are sent to their eIM
 * and forgotten once it acknowledged them, so that neither a restart nor an
 * eIM outage loses one.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIMD_STORE_RECORD_MAX_BYTES (64 * 1024)
/* hex SHA-256 */
#define ESIMD_STORE_DIGEST_MAX_LEN   64

typedef struct _EsimdStore EsimdStore;

/* Opens the state directory @dir: creates it (and missing parents) with mode
 * 0700 when it does not exist; refuses one that is not a directory, is not
 * owned by esimd's user, is writable by group or others, or cannot be written.
 * Deletes the temporaries a killed save left behind. */
EsimdStore  *esimd_store_open (const gchar *dir, GError **error);
void         esimd_store_free (EsimdStore *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdStore, esimd_store_free)
const gchar *esimd_store_get_dir (EsimdStore *self);

/* What esimd knows of one pending notification (seqNumber on the card). */
typedef struct {
	guint64  seq;
	/* the server accepted it: only its removal from the card is left */
	gboolean delivered;
	/* failed deliveries so far, and when to try again (unix seconds, 0: now) */
	guint    attempts;
	gint64   next_attempt;
	/* the caller's fingerprint of the notification (e.g. hex SHA-256 of the
	 * signed PendingNotification), so that a sequence number the card reuses
	 * after a reset is not mistaken for this one; "" when none */
	gchar    digest[ESIMD_STORE_DIGEST_MAX_LEN + 1];
} EsimdNotificationRecord;

/* The notification records of eUICC @eid (32 hexadecimal digits), by
 * sequence number; empty when there are none or the record is unreadable. */
GArray      *esimd_store_get_notifications (EsimdStore *self, const gchar *eid);
/* TRUE and @record filled when @seq has a record. */
gboolean     esimd_store_lookup_notification (EsimdStore *self, const gchar *eid, guint64 seq,
                                              EsimdNotificationRecord *record);
/* Adds or replaces the record of @record->seq.  Fails, leaving the file as
 * it was, for an invalid EID or digest, when the record would exceed
 * ESIMD_STORE_RECORD_MAX_BYTES (G_IO_ERROR_NO_SPACE), or when it cannot be
 * written. */
gboolean     esimd_store_set_notification (EsimdStore *self, const gchar *eid,
                                           const EsimdNotificationRecord *record, GError **error);
/* Forgets @seq (nothing to do when it has no record); the file goes once empty. */
gboolean     esimd_store_forget_notification (EsimdStore *self, const gchar *eid, guint64 seq,
                                              GError **error);

/* One eIM result waiting for its acknowledgement: the EimPackageResult as
 * encoded, under the caller's @key (unique per eIM). */
#define ESIMD_STORE_EIM_KEY_MAX_LEN 128

/* The results saved for eIM @eim_id of eUICC @eid, oldest first, as GBytes*
 * (with @keys non-NULL, their keys there, gchar*, in the same order); empty
 * when none or the record is unreadable. */
GPtrArray   *esimd_store_get_eim_results (EsimdStore *self, const gchar *eid, const gchar *eim_id,
                                          GPtrArray **keys);
/* Saves (or replaces) the result @key of @eim_id.  Fails, leaving the file as
 * it was, for an invalid EID, eIM id or key (empty, over
 * ESIMD_STORE_EIM_KEY_MAX_LEN bytes, not UTF-8), an empty result, a record
 * over ESIMD_STORE_RECORD_MAX_BYTES (G_IO_ERROR_NO_SPACE), or a failed write. */
gboolean     esimd_store_save_eim_result (EsimdStore *self, const gchar *eid, const gchar *eim_id,
                                          const gchar *key, GBytes *encoded, GError **error);
/* Forgets the result @key of @eim_id (nothing to do when there is none). */
gboolean     esimd_store_forget_eim_result (EsimdStore *self, const gchar *eid,
                                            const gchar *eim_id, const gchar *key,
                                            GError **error);

G_END_DECLS

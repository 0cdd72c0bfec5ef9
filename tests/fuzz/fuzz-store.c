/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for esimd's state records (src/daemon/core/esimd-store.c):
 * the input is written as the record of one eUICC and read.  A record that
 * reads must give notification records in increasing sequence order with
 * valid digests, and accept a change; one that does not read is moved aside
 * and reads as empty.  Never a crash.
 *
 * The seeds in tests/fuzz/corpus/store/ are records esimd writes: a delivered
 * notification, one waiting for a retry with groups of a later version, a
 * record with a bad value, and eIM results waiting for their acknowledgement.
 * Results that read back are never empty, nor are their keys.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esimd-store.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define EID "89049032123451234512345678901235"

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static EsimdStore *store = NULL;
	static gchar *path = NULL;
	g_autoptr(GArray) list = NULL;
	EsimdNotificationRecord record = { .seq = 7, .attempts = 1 };

	if (store == NULL) {
		g_autofree gchar *dir = g_dir_make_tmp ("fuzz-store-XXXXXX", NULL);

		/* the store warns about the records the fuzzer corrupts on purpose */
		g_log_set_default_handler (quiet_log, NULL);
		if (dir == NULL || (store = esimd_store_open (dir, NULL)) == NULL)
			__builtin_trap ();
		path = g_build_filename (dir, "euicc-" EID ".ini", NULL);
	}
	if (!g_file_set_contents (path, (const gchar *) data, (gssize) size, NULL))
		return 0;
	list = esimd_store_get_notifications (store, EID);
	for (guint i = 0; i < list->len; i++) {
		const EsimdNotificationRecord *found = &g_array_index (list, EsimdNotificationRecord, i);

		if (strlen (found->digest) > ESIMD_STORE_DIGEST_MAX_LEN)
			__builtin_trap ();
		if (i > 0 && g_array_index (list, EsimdNotificationRecord, i - 1).seq >= found->seq)
			__builtin_trap ();
	}
	/* the eIM results of what was read (again: the read above may have moved it aside) */
	if (g_file_set_contents (path, (const gchar *) data, (gssize) size, NULL)) {
		g_autoptr(GPtrArray) keys = NULL;
		g_autoptr(GPtrArray) results = esimd_store_get_eim_results (store, EID, "e", &keys);

		if (keys->len != results->len)
			__builtin_trap ();
		for (guint i = 0; i < results->len; i++) {
			if (g_bytes_get_size (g_ptr_array_index (results, i)) == 0 ||
			    ((const gchar *) g_ptr_array_index (keys, i))[0] == '\0')
				__builtin_trap ();
		}
	}
	/* a change on top of what was read; it may only fail for the size cap */
	if (!esimd_store_set_notification (store, EID, &record, NULL) &&
	    size <= ESIMD_STORE_RECORD_MAX_BYTES / 2)
		__builtin_trap ();
	g_unlink (path);
	return 0;
}

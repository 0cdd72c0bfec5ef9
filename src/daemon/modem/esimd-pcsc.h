/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the PC/SC readers esimd should manage.  No D-Bus here: the caller
 * turns each channel into an eUICC object.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * @reader_names: the readers asked for by name (command line or esimd.conf),
 * or NULL for every reader whose card answers a SELECT of the ISD-R on a
 * logical channel (the channel is closed again after that probe).
 *
 * A name matches the reader with exactly that name or, failing that, the one
 * reader whose name starts with it ("Gemalto PC Twin" for "Gemalto PC Twin
 * Reader 00 00").  A name matching no reader, or several, is logged with
 * g_warning() (naming the readers present) and skipped: the readers of the
 * other names are still returned, as esimd(8) documents.  Named readers are
 * returned whether or not a card is in them.  pcscd not running:
 * ESIM_APDU_ERROR_TRANSPORT.  Built without PC/SC: G_IO_ERROR_NOT_SUPPORTED.
 */
void       esimd_pcsc_discover_async (const gchar *const *reader_names, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
/* An array of owned EsimChannelPcsc*, in the order named (else pcscd's order); NULL on error. */
GPtrArray *esimd_pcsc_discover_finish (GAsyncResult *res, GError **error);

#ifdef WITH_PCSC

#include "esim-channel-pcsc.h"

/* Whether one of @reader_names selects @reader among @readers, by the rule of
 * esimd_pcsc_discover_async(): exactly its name, or a beginning of it that no
 * other reader has. */
gboolean   esimd_pcsc_names_select (const gchar *const *reader_names, const gchar *const *readers,
                                    const gchar *reader);

/* The probe of esimd_pcsc_discover_async() on one reader: its channel when
 * its card has an ISD-R, else NULL without an error. */
void       esimd_pcsc_probe_reader_async (const gchar *reader, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
EsimChannelPcsc *esimd_pcsc_probe_reader_finish (GAsyncResult *res, GError **error);

/*
 * EsimdPcscWatcher: follows pcscd's readers and their cards.
 *
 * A thread of its own waits in SCardGetStatusChange on a context of its own
 * (pcsc-lite contexts are not shared between threads), on every reader and
 * the "\\?PnP?\Notification" pseudo-reader that reports readers plugged in
 * or out; esimd_pcsc_watcher_stop() wakes it with SCardCancel.  pcscd not
 * running or going away counts as no readers; the watcher looks again every
 * second.  What the first look sees is the starting point: the signals, emitted
 * in the main context that was the thread default when the watcher was made,
 * report what changed after it:
 *   "reader-added" (const gchar *reader): a reader appeared;
 *   "card-inserted" (const gchar *reader): a card is in @reader now, also in a
 *     reader that just appeared;
 *   "card-removed" (const gchar *reader): the card left @reader, or the reader
 *     went away with it.
 * A card swapped between two looks is reported removed, then inserted
 * (pcsc-lite's event counter tells).
 */
#define ESIMD_TYPE_PCSC_WATCHER (esimd_pcsc_watcher_get_type ())
G_DECLARE_FINAL_TYPE (EsimdPcscWatcher, esimd_pcsc_watcher, ESIMD, PCSC_WATCHER, GObject)

EsimdPcscWatcher *esimd_pcsc_watcher_new (void);
/* Starts the thread; completes after its first look (or the first failure to reach pcscd). */
void              esimd_pcsc_watcher_start_async (EsimdPcscWatcher *self,
                                                  GAsyncReadyCallback callback, gpointer user_data);
void              esimd_pcsc_watcher_start_finish (EsimdPcscWatcher *self, GAsyncResult *res);
/* Stops the thread and waits for it; no signal is emitted afterwards. */
void              esimd_pcsc_watcher_stop (EsimdPcscWatcher *self);
/* As of the last look. */
GStrv             esimd_pcsc_watcher_dup_readers (EsimdPcscWatcher *self);
gboolean          esimd_pcsc_watcher_has_card (EsimdPcscWatcher *self, const gchar *reader);

#endif /* WITH_PCSC */

G_END_DECLS

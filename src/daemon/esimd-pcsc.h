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

G_END_DECLS

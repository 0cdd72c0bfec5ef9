/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The channel backend for an eUICC on a modem: QMI, MBIM or AT, as the
 * watcher picked it, with the options esimd.conf sets for it. */
#pragma once

#include "esim-channel.h"
#include "esimd-config.h"
#include "esimd-modem-watcher.h"

G_BEGIN_DECLS

/* FALSE (with a reason in @error) when this build has no such backend. */
gboolean     esimd_modem_channel_supported (const gchar *transport, GError **error);
EsimChannel *esimd_modem_channel_new (const EsimdModemEuicc *info, const EsimdConfig *config,
                                      GError **error);

G_END_DECLS

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
/* A QMI or MBIM port is held by the modem (Modem.Device) whose channel opened
 * it first, until its channels have closed it: for another modem naming the
 * same port — by any name: ports are compared by device number — this fails
 * with G_IO_ERROR_BUSY, naming the holder.  AT ports, opened per access, are
 * not held. */
EsimChannel *esimd_modem_channel_new (const EsimdModemEuicc *info, const EsimdConfig *config,
                                      GError **error);

/* The modem (Modem.Device) of @info shows up at a new object path: a port it
 * holds is named by that path from now on. */
void         esimd_modem_channel_holder_moved (const EsimdModemEuicc *info);
/* Called (from an idle) with each eUICC turned away from a port once the
 * last channel on it is gone, so that its modem can take the port over. */
typedef void (*EsimdModemPortFreedFunc) (const EsimdModemEuicc *refused, gpointer user_data);
void         esimd_modem_channel_set_port_freed_func (EsimdModemPortFreedFunc func,
                                                      gpointer user_data);

G_END_DECLS

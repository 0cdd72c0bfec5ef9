/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push side of esimd as configured: the HTTPS inject listener
 * (esimd-inject.h, [push]) and SMS wake-up (esimd-sms-wakeup.h,
 * [sms-wakeup]), wired to the eUICCs of the manager.  Each is off unless
 * configured.
 *
 *   - inject: the eIMs the eUICCs list (GetEimConfigurationData) are the ones
 *     accepted, each with its trustedPublicKeyDataTls as the trust of its
 *     client certificate; a package goes to esimd_push_execute_pushed().
 *   - SMS wake-up: the modems of the eUICCs found through ModemManager are
 *     followed; a wake-up message polls that modem's eUICC through
 *     esimd_push_poll_now().
 */
#pragma once

#include <gio/gio.h>

#include "esimd-config.h"
#include "esimd-euicc.h"
#include "esimd-inject.h"
#include "esimd-modem-watcher.h"

G_BEGIN_DECLS

typedef struct _EsimdPush EsimdPush;

/* @euiccs: the manager's EsimdEuicc* array, read at each request (it must
 * outlive the push).  @watcher (nullable: modems are not used): SMS wake-up
 * follows the modems of its "euicc-added" until their "euicc-removed".
 * Errors: the listener cannot start (certificate, key, address, port in
 * use), or SMS wake-up is configured on a build without ModemManager. */
EsimdPush *esimd_push_new (const EsimdConfig *config, GDBusConnection *connection,
                           GPtrArray *euiccs, EsimdModemWatcher *watcher, GError **error);
void       esimd_push_free (EsimdPush *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdPush, esimd_push_free)

/* The two places where push meets the eIM flows:
 *   - a pushed package for @euicc, answered through @request (exactly once):
 *     NOT WIRED YET (see esimd-push.c: it needs a queued operation of the
 *     poller, core/esimd-poller.c, that runs esim_poll_cycle_execute_pushed_async
 *     with the eIM's client); until then the eIM gets undefinedError;
 *   - a poll of every eIM of @euicc soon (esimd_euicc_poll_soon), for SMS wake-up. */
void       esimd_push_execute_pushed (EsimdEuicc *euicc, EsimdInjectRequest *request);
void       esimd_push_poll_now (EsimdEuicc *euicc);

G_END_DECLS

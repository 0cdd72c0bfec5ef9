/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIM poll of one eUICC (SGP.32 v1.2 §3.1.1.1): when each of its eIMs is
 * polled, and the poll itself (flows/esim-poll-cycle.h) run as an operation
 * of the eUICC's queue (ESIMD_OP_POLL: never in the middle of another
 * operation).
 *
 * Per eIM, one EsimEsipaClient lives as long as the eIM is on the card (TLS
 * sessions resumed across polls), and a poll is due:
 *   - every [eim] PollInterval seconds, ± PollJitter percent;
 *   - after a failed poll, after a delay that doubles from
 *     min (PollInterval, 60 s) up to BackoffMax (never at once: no busy
 *     loop whatever fails);
 *   - at once while the eIM has more packages than one cycle takes
 *     (MaxPackages);
 *   - when a client asks (Poll() on D-Bus, esimcli eim poll, a push, an SMS);
 *   - when ModemManager reports the modem's data connection up;
 *   - after a local operation changed the card (with notifyStateChange).
 * One timer per eUICC, set for the earliest poll due; none while the eUICC
 * is absent, in error or has no eIM: an idle daemon does not wake up.
 *
 * After a package switched the enabled profile, the data connection goes and
 * (on the new profile) comes back: the eIM is polled again at once, or for a
 * modem as soon as its data connection is up, to deliver what is left.  When
 * the enable carried rollbackFlag and no poll has reached the eIM within
 * half of RollbackTimeout, the card runs ProfileRollback and its result is
 * delivered, with one attempt bounded by the time left: the whole rollback
 * ends within RollbackTimeout.
 *
 * What the card holds for the eIM is cached (EsimPollCache: EID, pending
 * results and notifications), so that an empty poll costs almost no APDU;
 * the cache is dropped after every other operation and after a probe.  Results
 * the card does not keep are journalled in the state directory
 * (esimd-store.h) until the eIM acknowledged them.  After a poll that leaves
 * the eUICC idle, its ISD-R is closed (modems have few logical channels); the
 * next operation opens it again.
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esimd-config.h"
#include "esimd-euicc.h"
#include "esimd-store.h"

G_BEGIN_DECLS

typedef struct _EsimdPoller EsimdPoller;

/* @euicc owns the poller; @store and @config outlive it. */
EsimdPoller *esimd_poller_new (EsimdEuicc *euicc, EsimdStore *store, const EsimdConfig *config);
void         esimd_poller_free (EsimdPoller *self);

/* The eUICC read its eIM list (EsimEimConfig*): clients follow. */
void         esimd_poller_set_eims (EsimdPoller *self, GPtrArray *configs);
/* The eUICC's state changed, or esimd stops: the timer follows. */
void         esimd_poller_update (EsimdPoller *self);
/* Another operation ran, or the card was read afresh: what the cache says may be stale. */
void         esimd_poller_invalidate (EsimdPoller *self);
/* The modem's data connection came up. */
void         esimd_poller_connected (EsimdPoller *self);
/* A local operation changed the card (an enable, a delete, a reset…): the
 * eIMs are polled soon with notifyStateChange and @cause (ESIM_STATE_CHANGE_*),
 * so that they read the eUICC again (SGP.32 v1.2 GetEimPackageRequest). */
void         esimd_poller_local_change (EsimdPoller *self, gint cause);
/* Asks for a poll of @eim_id (NULL: every eIM) as soon as the queue allows,
 * as esimd's own request: for a push or an SMS wake-up. */
void         esimd_poller_poll_soon (EsimdPoller *self, const gchar *eim_id);
/* Whether @eim_id (NULL: any) is configured on the card. */
gboolean     esimd_poller_has_eim (EsimdPoller *self, const gchar *eim_id);

/* The poll on the eUICC's open ISD-R (the operation behind ESIMD_OP_POLL):
 * a cycle with @eim_id ("" or NULL: each eIM in turn).  The answer is the
 * a{sv} of Poll(): "eims", "packages", "results-delivered",
 * "notifications-delivered" (u), "more", "enabled-profile-changed",
 * "rolled-back" (b).  Fails with the first eIM's error (mapped onto
 * ESIMD_ERROR) when a cycle failed. */
void         esimd_poller_run_async (EsimdPoller *self, const gchar *eim_id,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
GVariant    *esimd_poller_run_finish (EsimdPoller *self, GAsyncResult *res, GError **error);

/* An error of a poll as clients see it: ESIMD_ERROR, naming the eIM's side. */
GError      *esimd_poller_error_normalize (const GError *error);

G_END_DECLS

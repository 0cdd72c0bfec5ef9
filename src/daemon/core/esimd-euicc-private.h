/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the files of the EsimdEuicc object (core/esimd-euicc*.c and
 * modem/esimd-euicc-modem.c), not by its D-Bus handlers (bus/). */
#pragma once

#include "esim-activation-code.h"
#include "esim-apdu.h"
#include "esim-es10.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"
#include "esimd-modem-watcher.h"
#include "esimd-notify-queue.h"
#include "esimd-poller.h"

G_BEGIN_DECLS

typedef enum {
	ESIMD_REFRESH_INFO          = 1 << 0, /* EID (once) and EUICCInfo2 */
	ESIMD_REFRESH_ADDRESSES     = 1 << 1, /* default SM-DP+ address */
	ESIMD_REFRESH_PROFILES      = 1 << 2,
	ESIMD_REFRESH_NOTIFICATIONS = 1 << 3, /* pending notification count */
	ESIMD_REFRESH_EIMS          = 1 << 4,
	ESIMD_REFRESH_ALL           = 0x1f,
} EsimdRefreshFlags;

/* One operation on its way through the queue, from whatever source. */
struct _EsimdRequest {
	EsimdEuicc            *euicc;
	EsimdOpKind            kind;
	gchar                 *iccid;
	GVariant              *arg;
	EsimdRequestCallback   callback;
	gpointer               user_data;
	/* validated arguments */
	gboolean               refresh;
	gchar                 *nickname;
	guint64                seq;
	guint                  reset_options;
	GBytes                *config_der;
	EsimActivationCode    *activation_code;
	gchar                 *confirmation_code; /* a secret: wiped when freed, never logged */
	gboolean               enable;
	/* the operation's result for methods that return one */
	GVariant              *reply;
	/* the callback ran (the eUICC may have gone away before the operation ended) */
	gboolean               completed;
};

typedef struct {
	const gchar *name;          /* for Progress and logs */
	guint        refresh_flags; /* what to read again after success */
} EsimdOpInfo;

struct _EsimdEuicc {
	GObject                   parent_instance;
	guint                     id;
	gchar                    *path;
	gchar                    *log_id;
	GDBusObjectManagerServer *object_manager;
	EsimdAuth                *auth;
	gboolean                  refresh_default;
	EsimIsdr                 *isdr;
	EsimEs10Variant           variant;
	gchar                    *eid;
	gboolean                  healthy;   /* the last refresh worked */
	guint                     refused_reads; /* EsimdRefreshFlags of optional reads the card refused */
	gboolean                  probing;   /* the first probe runs: operations wait */
	EsimdGdbusObjectSkeleton *object;
	EsimdGdbusEuicc          *skeleton;
	gboolean                  exported;
	GHashTable               *profiles;  /* ICCID -> EsimdProfile */
	GHashTable               *eims;      /* eimId -> EsimdEim */
	GQueue                    requests;  /* EsimdRequest*, waiting */
	EsimdRequest             *current;
	GError                   *current_error;  /* of the current operation, until released */
	GCancellable             *cancellable;
	GTask                    *close_task;
	GError                   *gone_error;     /* set once the eUICC is being removed */
	const EsimdConfig        *config;

	/* the modem link, for eUICCs found through ModemManager (modem/esimd-euicc-modem.c) */
	EsimdModemWatcher        *watcher;
	EsimdModemEuicc          *modem;          /* NULL: virtual or PC/SC */
	EsimdModemPolicy          policy;
	gboolean                  modem_present;  /* ModemManager shows the eUICC now */
	gboolean                  inhibited;      /* our InhibitDevice is asked for or in force */
	gboolean                  expect_reset;   /* a switch or reset may take the modem away */
	gint64                    expect_reset_until; /* ModemManager may see the reset late */
	gboolean                  per_access_channel; /* AT: port opened per operation, inhibited */
	guint                     lost_timeout_id;
	GList                    *presence_waiters; /* GTask* */
	EsimChannel              *pending_channel; /* a new port of the same modem */

	/* the card of a reader (PC/SC) (esimd-euicc-card.c) */
	gboolean                  card_absent;    /* the reader reports no card */
	gboolean                  card_reprobe;   /* a card came in: read it once idle */

	/* notification delivery (esimd-notify-queue.c); NULL without a state directory */
	EsimdNotifyQueue         *notify;
	/* the eIM poll (esimd-poller.c); NULL without a state directory */
	EsimdPoller              *poller;
	GPtrArray                *ci_pkids;       /* EUICCInfo2 euiccCiPKIdListForVerification */
};

/* An operation that ends with the eUICC still reachable through its isdr. */
static inline gboolean
esimd_euicc_isdr_is_open (EsimdEuicc *self)
{
	return self->isdr != NULL && esim_isdr_is_open (self->isdr);
}

const EsimdOpInfo *esimd_op_get_info (EsimdOpKind kind);
void     esimd_request_free (EsimdRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdRequest, esimd_request_free)

/* esimd-euicc-ops.c: argument checks that need no card, and the operation. */
gboolean esimd_request_validate (EsimdRequest *request, GError **error);
void     esimd_euicc_run_request_async (EsimdEuicc *self, EsimdRequest *request,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean esimd_euicc_run_request_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* esimd-euicc-probe.c: reads what @flags name and updates the bus objects. */
void     esimd_euicc_refresh_async (EsimdEuicc *self, guint flags, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean esimd_euicc_refresh_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* esimd-euicc.c: state updates from what the card said. */
void     esimd_euicc_set_eid (EsimdEuicc *self, const gchar *eid);
void     esimd_euicc_apply_info2 (EsimdEuicc *self, const EsimEuiccInfo2 *info);
void     esimd_euicc_apply_addresses (EsimdEuicc *self, const EsimConfiguredAddresses *addresses);
void     esimd_euicc_sync_profiles (EsimdEuicc *self, GPtrArray *infos);
void     esimd_euicc_sync_eims (EsimdEuicc *self, GPtrArray *configs);
void     esimd_euicc_set_pending_notifications (EsimdEuicc *self, guint count);
gboolean esimd_euicc_has_profile (EsimdEuicc *self, const gchar *iccid);
void     esimd_euicc_update_state (EsimdEuicc *self);
/* Replaces the channel (and ISD-R session); @channel NULL leaves none. */
void     esimd_euicc_set_channel (EsimdEuicc *self, EsimChannel *channel);

/* modem/esimd-euicc-modem.c: access to the card of a modem.  acquire: for AT, the
 * modem is inhibited and the port opened; release: closes the ISD-R, drops an
 * AT port and lifts the inhibit (always, without cancellation). */
void     esimd_euicc_acquire_async (EsimdEuicc *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean esimd_euicc_acquire_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);
void     esimd_euicc_release_async (EsimdEuicc *self, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean esimd_euicc_release_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);
/* InhibitDevice (uid, TRUE/FALSE) for this eUICC's modem; the release never
 * takes a cancellable. */
void     esimd_euicc_inhibit_async (EsimdEuicc *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean esimd_euicc_inhibit_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);
void     esimd_euicc_uninhibit_async (EsimdEuicc *self, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean esimd_euicc_uninhibit_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);
/* Completes once ModemManager shows the eUICC again; G_IO_ERROR_TIMED_OUT after @timeout_ms. */
void     esimd_euicc_wait_present_async (EsimdEuicc *self, guint timeout_ms,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean esimd_euicc_wait_present_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);
/* Takes a channel handed over by the manager at a point where none is in use. */
void     esimd_euicc_apply_pending_channel (EsimdEuicc *self);
/* Called when the eUICC is idle again: a modem that did not come back is lost. */
void     esimd_euicc_check_presence (EsimdEuicc *self);
GError  *esimd_euicc_modem_removed_error (EsimdEuicc *self);
void     esimd_euicc_modem_dispose (EsimdEuicc *self);

/* esimd-euicc-card.c: once the eUICC is idle, reads a card that came into its
 * reader meanwhile; TRUE when that probe started (operations wait for it). */
gboolean esimd_euicc_card_idle (EsimdEuicc *self);

/* esimd-euicc-download.c: DownloadProfile's arguments (activation code, options) and the
 * download on the card, replying with the new profile's path; "enable" runs the switch
 * lifecycle below on it. */
gboolean esimd_request_validate_download (EsimdRequest *request, GError **error);
void     esimd_euicc_download_async (EsimdEuicc *self, EsimdRequest *request,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean esimd_euicc_download_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

/* esimd-euicc-switch.c: enable/disable on every eUICC, as one lifecycle:
 * [inhibit] -> ES10 call -> close -> [reset] -> reopen with backoff -> re-read
 * -> [release the inhibit, always] -> [wait for ModemManager].  Success means
 * the card was read again and shows the switch; otherwise the profiles whose
 * state is no longer known say "unknown". */
void     esimd_euicc_switch_async (EsimdEuicc *self, EsimdRequest *request,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean esimd_euicc_switch_finish (EsimdEuicc *self, GAsyncResult *res, GError **error);

G_END_DECLS

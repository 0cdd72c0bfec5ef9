/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd.conf: a GKeyFile read from --config (default ESIMD_CONFIG_FILE when it
 * exists), then every *.conf in the configuration directory in sorted order;
 * a later file overrides the keys it sets.
 */
#pragma once

#include <glib.h>

#include "esim-tags.h"
#include "esimd-log.h"

G_BEGIN_DECLS

#define ESIMD_CONFIG_SEGMENT_SIZE_MIN 6
#define ESIMD_CONFIG_SEGMENT_SIZE_MAX ESIM_STORE_DATA_MAX_SEGMENT

/* [modem] Enabled */
typedef enum {
	ESIMD_MODEM_ENABLED_AUTO,  /* unless the command line names the eUICCs */
	ESIMD_MODEM_ENABLED_YES,
	ESIMD_MODEM_ENABLED_NO,
} EsimdModemEnabled;

/* [modem:…] ResetAfterSwitch: how a card that does not act on REFRESH is made
 * to show its new profile to the modem */
typedef enum {
	ESIMD_RESET_AFTER_SWITCH_NONE,
	ESIMD_RESET_AFTER_SWITCH_CARD,  /* power-cycle the card through the channel */
	ESIMD_RESET_AFTER_SWITCH_MODEM, /* ModemManager's Modem.Reset() */
} EsimdResetAfterSwitch;

/* [notifications] RetryInitialDelay and RetryMaxDelay: at most a week */
#define ESIMD_CONFIG_NOTIFY_RETRY_MAX (7 * 24 * 3600)

#define ESIMD_CONFIG_SWITCH_TIMEOUT_MIN 5
#define ESIMD_CONFIG_SWITCH_TIMEOUT_MAX 600

/* [download] RequestTimeout: seconds an SM-DP+ request may make no progress */
#define ESIMD_CONFIG_REQUEST_TIMEOUT_MIN 5
#define ESIMD_CONFIG_REQUEST_TIMEOUT_MAX 600

/* One [modem:<Model>] or [modem:<vid>:<pid>] group; -1 = key not set. */
typedef struct {
	gchar   *match;              /* what follows "modem:" */
	gboolean is_usb_id;          /* "vvvv:pppp" */
	guint16  vid;
	guint16  pid;
	gint     refresh;            /* Refresh */
	gint     reset_after_switch; /* ResetAfterSwitch (EsimdResetAfterSwitch) */
	gint     inhibit_on_switch;  /* InhibitOnSwitch */
} EsimdModemOverride;

/* What the profile-switch lifecycle does on one modem. */
typedef struct {
	gboolean              inhibit_on_switch;
	gboolean              refresh;            /* FALSE: refreshFlag is always 0 */
	EsimdResetAfterSwitch reset_after_switch;
	guint                 switch_timeout_s;
} EsimdModemPolicy;

typedef struct {
	EsimdLogLevel  log_level;          /* [daemon] LogLevel, default info */
	gboolean       log_personal_info;  /* [daemon] LogPersonalInfo, default false */
	guint          segment_size;       /* [euicc] StoreDataSegmentSize, 6..255, default 255 */
	gboolean       refresh_on_switch;  /* [euicc] RefreshOnSwitch, default true */
	GPtrArray     *virtual_files;      /* [virtual] Files, gchar* absolute paths */
	EsimdModemEnabled modem_enabled;   /* [modem] Enabled, default auto */
	gboolean       modem_use_proxy;    /* [modem] UseProxy, default true */
	gboolean       inhibit_on_switch;  /* [modem] InhibitOnSwitch, default true */
	guint          switch_timeout_s;   /* [modem] SwitchTimeout, 5..600, default 60 */
	GPtrArray     *modem_overrides;    /* EsimdModemOverride*, in file order */
	GPtrArray     *pcsc_readers;       /* [pcsc] Readers, gchar* */
	gboolean       pcsc_auto_detect;   /* [pcsc] AutoDetect, default false */
	gchar         *test_ci_dir;        /* [download] TestCiDirectory, absolute; NULL: none */
	guint          request_timeout_s;  /* [download] RequestTimeout, 5..600, default 60 */
	gboolean       notify_automatic;   /* [notifications] Automatic, default true */
	guint          notify_retry_initial_s; /* [notifications] RetryInitialDelay, default 30 */
	guint          notify_retry_max_s;     /* [notifications] RetryMaxDelay, default 3600 */
	/* [eim] poll keys, for every eIM (POLL's hunk until MANAGE's parser of [eim] and
	 * [eim:<eimId>] lands: esimd_config_get_eim_settings() is the one reader) */
	guint          eim_poll_interval_s;    /* PollInterval, default 3600 */
	guint          eim_poll_jitter_pct;    /* PollJitter, 0..50 %, default 10 */
	guint          eim_backoff_max_s;      /* BackoffMax, default 3600 */
	guint          eim_max_packages;       /* MaxPackages, default 16 */
	guint          eim_rollback_timeout_s; /* RollbackTimeout, default 300 */
	guint          eim_timeout_s;          /* Timeout, 0: the client's default */
	guint          eim_attempts;           /* Attempts, 0: the client's default */
	guint          eim_retry_delay_s;      /* RetryDelay, 0: the client's default */
	gboolean       eim_poll_automatic;     /* FALSE (--poll-once): only the polls asked for */
	gboolean       eim_binding_json;       /* Binding=json (default asn1) */
} EsimdConfig;

/* What esimd does with one eIM ([eim], then [eim:<eimId>]). */
typedef struct {
	guint poll_interval_s;
	guint poll_jitter_pct;
	guint backoff_max_s;
	guint max_packages;
	guint rollback_timeout_s;
	guint timeout_s;        /* 0: ESIM_ESIPA_DEFAULT_TIMEOUT */
	guint attempts;         /* 0: ESIM_ESIPA_DEFAULT_ATTEMPTS */
	guint retry_delay_s;    /* 0: ESIM_ESIPA_DEFAULT_RETRY_DELAY */
	gboolean binding_json;  /* the ESipa JSON binding, not ASN.1 */
} EsimdEimSettings;

EsimdConfig *esimd_config_new (void);
void         esimd_config_free (EsimdConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdConfig, esimd_config_free)

/* Applies one file on top of @self.  Relative paths in [virtual] Files are
 * taken relative to the file's directory.  The error names the file, group
 * and key; unknown groups and keys only give a warning. */
gboolean     esimd_config_load_file (EsimdConfig *self, const gchar *path, GError **error);
/* @config_file NULL: ESIMD_CONFIG_FILE if it exists.  @config_dir: the
 * directory of *.conf drop-ins (a missing directory is fine). */
gboolean     esimd_config_load (EsimdConfig *self, const gchar *config_file,
                                const gchar *config_dir, GError **error);

/* The lifecycle policy of a modem: [modem] keys, overridden by the group
 * matching @vid:@pid (when non-zero), then by the group matching
 * "@manufacturer @model" or @model (case-insensitive). */
void         esimd_config_get_modem_policy (const EsimdConfig *self, const gchar *manufacturer,
                                            const gchar *model, guint16 vid, guint16 pid,
                                            EsimdModemPolicy *policy);
const gchar *esimd_reset_after_switch_to_string (EsimdResetAfterSwitch reset);
/* The settings of the eIM @eim_id. */
void         esimd_config_get_eim_settings (const EsimdConfig *self, const gchar *eim_id,
                                            EsimdEimSettings *settings);

G_END_DECLS

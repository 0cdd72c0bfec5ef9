/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The errors esimd sends on the bus: org.freedesktop.Esimd1.Error.*.  Every
 * reply goes through esimd_error_normalize(), so that no core-library,
 * GIO or GDBus error name ever reaches a client.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIMD_ERROR (esimd_error_quark ())
GQuark esimd_error_quark (void);

typedef enum {
	ESIMD_ERROR_FAILED,        /* org.freedesktop.Esimd1.Error.Failed */
	ESIMD_ERROR_NOT_FOUND,     /* .NotFound */
	ESIMD_ERROR_INVALID_ARGS,  /* .InvalidArgs */
	ESIMD_ERROR_BUSY,          /* .Busy */
	ESIMD_ERROR_CARD_ERROR,    /* .CardError */
	ESIMD_ERROR_UNAUTHORIZED,  /* .Unauthorized */
	ESIMD_ERROR_WRONG_STATE,   /* .WrongState */
	ESIMD_ERROR_NOT_SUPPORTED, /* .NotSupported */
	ESIMD_ERROR_SERVER_ERROR,  /* .ServerError */
	ESIMD_ERROR_TIMEOUT,       /* .Timeout */
	/* DownloadProfile */
	ESIMD_ERROR_ALREADY_INSTALLED,          /* .AlreadyInstalled */
	ESIMD_ERROR_CARD_FULL,                  /* .CardFull */
	ESIMD_ERROR_SERVER_UNREACHABLE,         /* .ServerUnreachable */
	ESIMD_ERROR_SERVER_NOT_TRUSTED,         /* .ServerNotTrusted */
	ESIMD_ERROR_CONFIRMATION_CODE_REQUIRED, /* .ConfirmationCodeRequired */
	ESIMD_ERROR_CONFIRMATION_CODE_REFUSED,  /* .ConfirmationCodeRefused */
	ESIMD_ERROR_CARD_REFUSED,               /* .CardRefused */
} EsimdError;

/* Maps any error onto ESIMD_ERROR, keeping a readable message. */
GError *esimd_error_normalize (const GError *error);
/* Normalises @error and returns it on @invocation. */
void    esimd_error_return (GDBusMethodInvocation *invocation, const GError *error);

G_END_DECLS

"""Mailing: transactional mail now; marketer API, campaigns and SES events later."""

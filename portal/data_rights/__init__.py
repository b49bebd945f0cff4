"""Data rights: a person's copy of everything the portal holds about them, closing their account
(the person erased, the financial record kept), and the retention job that erases what is kept
longer than configuration allows. The public pages' blueprint is ``portal.data_rights.views.bp``."""

"""Content pages staff edit (privacy notice, terms of sale, PDF licence, cookies, accessibility
statement): their versions, their rendering, and the versions a buyer accepts at checkout. The
public pages' blueprint is ``portal.content.views.bp``."""

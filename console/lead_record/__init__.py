"""The lead record: finding a lead, its page and its timeline (on top of the layers: it reads every area below)."""

package config

// defaultMaxItemsPerPoll bounds the work one poll of a feed takes on: a
// feed of 100,000 items must not hold a worker and the store for half a
// minute.
const defaultMaxItemsPerPoll = 500

// itemCaps reads crawler.max_items_per_poll and each feed's max_items
// override; sources must be built already.
func (v *validator) itemCaps(cfg *Config, raw *rawFile) {
	c := &cfg.Crawler
	c.MaxItemsPerPoll = raw.Crawler.MaxItemsPerPoll
	if c.MaxItemsPerPoll < 0 {
		v.errorf(p{"crawler", "max_items_per_poll"}, "must be positive, got %d", c.MaxItemsPerPoll)
	}
	if c.MaxItemsPerPoll <= 0 {
		c.MaxItemsPerPoll = defaultMaxItemsPerPoll
	}
	for i := range cfg.Sources {
		if i >= len(raw.Sources) {
			break
		}
		s, n := &cfg.Sources[i], raw.Sources[i].MaxItems
		path := p{"sources", i, "max_items"}
		switch {
		case n < 0:
			v.errorf(path, "must be positive, got %d", n)
		case n > 0 && s.Kind == "site":
			v.errorf(path, "max_items is for feeds; a site's pass is bounded by max_pages")
		}
		s.MaxItems = c.MaxItemsPerPoll
		if n > 0 {
			s.MaxItems = n
		}
	}
}

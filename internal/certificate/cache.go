package certificate

import (
	"container/list"
	"sync"
)

// cache keeps PNGs by key up to a total size, dropping the least recently
// used.
type cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recent; values are *entry
	index map[string]*list.Element
}

type entry struct {
	key string
	png []byte
}

func newCache(max int64) *cache {
	return &cache{max: max, order: list.New(), index: make(map[string]*list.Element)}
}

func (c *cache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.index[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry).png, true
}

func (c *cache) put(key string, png []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[key]; ok || int64(len(png)) > c.max {
		return
	}
	c.index[key] = c.order.PushFront(&entry{key, png})
	c.size += int64(len(png))
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.index, e.key)
		c.size -= int64(len(e.png))
	}
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.MinutesStore = (*Store)(nil)

func (s *Store) minutesKey(branchID, meetingID string) string {
	return s.branchKey(branchID, "meeting", meetingID, "minutes")
}
func (s *Store) photosKey(branchID, meetingID string) string {
	return s.branchKey(branchID, "meeting", meetingID, "photos")
}
func (s *Store) photoKey(branchID, meetingID, mediaID string) string {
	return s.branchKey(branchID, "meeting", meetingID, "photo", mediaID)
}
func (s *Store) photoWindowKey(branchID, userID string) string {
	return s.branchKey(branchID, "photowindow", userID)
}

// MaxPhotoBytes bounds a stored meeting photo (the domain's limit, WeCom's
// own image limit).
const MaxPhotoBytes = bot.MaxPhotoBytes

// AddMinutes implements bot.MinutesStore: one hash field per message, so a
// retried 纪要 is stored once.
func (s *Store) AddMinutes(ctx context.Context, branchID, meetingID string, m bot.Minutes) (bool, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("store: encode minutes: %w", err)
	}
	created, err := s.rdb.HSetNX(ctx, s.minutesKey(branchID, meetingID), m.ID, raw).Result()
	if err != nil {
		return false, fmt.Errorf("store: add minutes: %w", err)
	}
	return created, nil
}

// Minutes implements bot.MinutesStore.
func (s *Store) Minutes(ctx context.Context, branchID, meetingID string) ([]bot.Minutes, error) {
	all, err := s.rdb.HGetAll(ctx, s.minutesKey(branchID, meetingID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read minutes: %w", err)
	}
	return decodeMinutes(all)
}

func decodeMinutes(all map[string]string) ([]bot.Minutes, error) {
	out := make([]bot.Minutes, 0, len(all))
	for _, raw := range all {
		var m bot.Minutes
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("store: decode minutes: %w", err)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b bot.Minutes) int { return a.At.Compare(b.At) })
	return out, nil
}

// AddPhoto implements bot.MinutesStore: the description and the bytes in
// one transaction (one hash tag).
func (s *Store) AddPhoto(ctx context.Context, branchID, meetingID string, p bot.Photo, data []byte) (bool, error) {
	if len(data) > MaxPhotoBytes {
		return false, fmt.Errorf("store: photo of %d bytes, at most %d", len(data), MaxPhotoBytes)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("store: encode photo: %w", err)
	}
	var added *redis.BoolCmd
	_, err = s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		added = pipe.HSetNX(ctx, s.photosKey(branchID, meetingID), p.MediaID, raw)
		if len(data) > 0 {
			pipe.SetNX(ctx, s.photoKey(branchID, meetingID, p.MediaID), data, 0)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: add photo: %w", err)
	}
	return added.Val(), nil
}

// Photos implements bot.MinutesStore.
func (s *Store) Photos(ctx context.Context, branchID, meetingID string) ([]bot.Photo, error) {
	all, err := s.rdb.HGetAll(ctx, s.photosKey(branchID, meetingID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read photos: %w", err)
	}
	out := make([]bot.Photo, 0, len(all))
	for _, raw := range all {
		var p bot.Photo
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return nil, fmt.Errorf("store: decode photo: %w", err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b bot.Photo) int { return a.At.Compare(b.At) })
	return out, nil
}

// PhotoData implements bot.MinutesStore.
func (s *Store) PhotoData(ctx context.Context, branchID, meetingID, mediaID string) ([]byte, error) {
	data, err := s.rdb.Get(ctx, s.photoKey(branchID, meetingID, mediaID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read photo: %w", err)
	}
	return data, nil
}

// SetPhotoWindow implements bot.MinutesStore.
func (s *Store) SetPhotoWindow(ctx context.Context, branchID, userID, meetingID string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.photoWindowKey(branchID, userID), meetingID, ttl).Err(); err != nil {
		return fmt.Errorf("store: photo window: %w", err)
	}
	return nil
}

// PhotoWindow implements bot.MinutesStore.
func (s *Store) PhotoWindow(ctx context.Context, branchID, userID string) (string, bool, error) {
	id, err := s.rdb.Get(ctx, s.photoWindowKey(branchID, userID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: photo window: %w", err)
	}
	return id, true, nil
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Minutes (会议纪要) and photos make a meeting's record what an inspection
// asks for. Records only grow: 纪要 again appends, with its author and time.

// Minutes is one 纪要 message: the fields written as "地点：…" lines, the
// rest as 内容.
type Minutes struct {
	ID       string    `json:"id"` // the dedupe key of the message: a retry adds it once
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Place    string    `json:"place,omitempty"`    // 地点
	Host     string    `json:"host,omitempty"`     // 主持人
	Recorder string    `json:"recorder,omitempty"` // 记录人
	Topics   string    `json:"topics,omitempty"`   // 议题
	Content  string    `json:"content,omitempty"`  // 内容
}

// Photo is a picture of a meeting; its bytes are fetched from WeCom when it
// arrives (a media_id lives three days) and kept with the record.
type Photo struct {
	MediaID string    `json:"media_id"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Bytes   int       `json:"bytes"` // 0 when it could not be fetched
}

// FileName is the photo's name in an export's 照片/ folder.
func (p Photo) FileName(m Meeting, n int) string {
	return fmt.Sprintf("%s-%s-%d.jpg", m.BranchID, m.ID, n)
}

// MinutesStore keeps minutes and photos, per meeting.
type MinutesStore interface {
	AddMinutes(ctx context.Context, branchID, meetingID string, m Minutes) (created bool, err error)
	// Minutes lists a meeting's minutes in the order written.
	Minutes(ctx context.Context, branchID, meetingID string) ([]Minutes, error)
	AddPhoto(ctx context.Context, branchID, meetingID string, p Photo, data []byte) (created bool, err error)
	// Photos lists a meeting's photos in the order sent.
	Photos(ctx context.Context, branchID, meetingID string) ([]Photo, error)
	PhotoData(ctx context.Context, branchID, meetingID, mediaID string) ([]byte, error)
	// SetPhotoWindow lets the user's pictures join the meeting until ttl ends.
	SetPhotoWindow(ctx context.Context, branchID, userID, meetingID string, ttl time.Duration) error
	PhotoWindow(ctx context.Context, branchID, userID string) (meetingID string, found bool, err error)
}

// MediaFetcher downloads a picture members sent (WeCom media/get).
type MediaFetcher interface {
	// FetchMedia reads the whole file, never a truncated one: a file over
	// maxBytes is an error wrapping ErrTooLarge, and a media_id WeCom does
	// not hold (expired, invalid) one that IsPermanent.
	FetchMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, error)
}

// MaxPhotoBytes bounds a stored meeting photo: WeCom's own image limit.
const MaxPhotoBytes = 10 << 20

// MaxMeetingPhotos bounds a meeting's photos: an inspection wants a few
// pictures of the meeting, and each is kept in Redis for years.
const MaxMeetingPhotos = 30

// minutesAfterClose is how long after closing a meeting takes minutes.
const minutesAfterClose = 7 * 24 * time.Hour

// photoWindow is how long after 纪要 the author's pictures join the meeting.
const photoWindow = 10 * time.Minute

const minutesUsage = "用法：纪要 内容。可分行写：地点：…、主持人：…、记录人：…、议题：…、内容：…"

// minutesFields maps the labels a 纪要 line may start with to its field.
var minutesFields = map[string]func(*Minutes) *string{
	"地点":  func(m *Minutes) *string { return &m.Place },
	"主持人": func(m *Minutes) *string { return &m.Host },
	"记录人": func(m *Minutes) *string { return &m.Recorder },
	"议题":  func(m *Minutes) *string { return &m.Topics },
	"内容":  func(m *Minutes) *string { return &m.Content },
}

// parseMinutes reads "地点：…" lines into fields and the rest into 内容.
func parseMinutes(text string) Minutes {
	var m Minutes
	var rest []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		label, value, found := strings.Cut(strings.Replace(line, ":", "：", 1), "：")
		if field, ok := minutesFields[strings.TrimSpace(label)]; found && ok {
			p := field(&m)
			*p = strings.TrimSpace(strings.Join(strings.Fields(*p+" "+value), " "))
			continue
		}
		if line != "" {
			rest = append(rest, line)
		}
	}
	if len(rest) > 0 {
		m.Content = strings.TrimSpace(strings.Join(append([]string{m.Content}, rest...), "\n"))
	}
	return m
}

// minutesMeeting is the meeting 纪要 is for: the open one, or the latest
// if it closed within a week.
func (b *Bot) minutesMeeting(ctx context.Context, branchID string, now time.Time) (Meeting, bool, error) {
	if m, found, err := b.Meetings.OpenMeetingOf(ctx, branchID); err != nil || found {
		return m, found, err
	}
	m, found, err := b.Meetings.LatestMeeting(ctx, branchID)
	if err != nil || !found {
		return m, false, err
	}
	return m, !m.ClosedAt.IsZero() && now.Sub(m.ClosedAt) <= minutesAfterClose, nil
}

// minutes handles "纪要 …".
func (b *Bot) minutes(ctx context.Context, req Request) (Reply, error) {
	text := argText(req.Msg.Text)
	if text == "" {
		return Reply{Text: minutesUsage}, nil
	}
	branchID := req.Member.BranchID
	if branchID == "" {
		return Reply{Text: "纪要写在本支部的会议上：你不属于任何支部。"}, nil
	}
	m, found, err := b.minutesMeeting(ctx, branchID, req.Now)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: find meeting: %w", err)
	}
	if !found {
		return Reply{Text: "没有进行中或 7 天内结束的会议。请先发“会议 类型 标题”开会，会后一周内补纪要。"}, nil
	}
	mins := parseMinutes(text)
	mins.ID, mins.By, mins.At = req.Msg.DedupeKey(), req.Member.UserID, req.Now
	for _, f := range []*string{&mins.Place, &mins.Host, &mins.Recorder, &mins.Topics} {
		*f = Plain(*f)
	}
	if _, err := b.Minutes.AddMinutes(ctx, branchID, m.ID, mins); err != nil {
		return Reply{}, fmt.Errorf("bot: add minutes: %w", err)
	}
	if err := b.Minutes.SetPhotoWindow(ctx, branchID, req.Member.UserID, m.ID, photoWindow); err != nil {
		return Reply{}, fmt.Errorf("bot: photo window: %w", err)
	}
	all, err := b.Minutes.Minutes(ctx, branchID, m.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read minutes: %w", err)
	}
	return Reply{Text: fmt.Sprintf("📝 已记入 %s 的纪要（第 %d 条）。10 分钟内发的照片作为会议照片。", m.Label(), len(all))}, nil
}

// errNoPhoto means a picture is not a meeting photo.
var errNoPhoto = errors.New("not a meeting photo")

// meetingPhoto keeps a leader's picture sent while their branch's meeting
// is open, or within 10 minutes of their 纪要, as the meeting's photo.
func (b *Bot) meetingPhoto(ctx context.Context, req Request) (Reply, error) {
	m := req.Member
	if !m.Role.Leads() || m.BranchID == "" {
		return Reply{}, errNoPhoto
	}
	meetingID, found, err := b.Minutes.PhotoWindow(ctx, m.BranchID, m.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: photo window: %w", err)
	}
	if !found {
		open, isOpen, err := b.Meetings.OpenMeetingOf(ctx, m.BranchID)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
		}
		if !isOpen {
			return Reply{}, errNoPhoto
		}
		meetingID = open.ID
	}
	photos, err := b.Minutes.Photos(ctx, m.BranchID, meetingID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read photos: %w", err)
	}
	// A soft cap: two pictures at the same moment may both pass it.
	if len(photos) >= MaxMeetingPhotos && !slices.ContainsFunc(photos, func(p Photo) bool { return p.MediaID == req.Msg.MediaID }) {
		return Reply{Text: fmt.Sprintf("这次会议已存满 %d 张照片，这张没有保存。", MaxMeetingPhotos)}, nil
	}
	var data []byte
	if b.Media != nil {
		// Fetched now: WeCom keeps a picture three days, the ledger years.
		// A passing failure is the message's failure, so WeCom sends it
		// again; a lasting one is told, or WeCom would retry in vain.
		data, err = b.Media.FetchMedia(ctx, req.Msg.MediaID, MaxPhotoBytes)
		switch {
		case errors.Is(err, ErrTooLarge):
			b.Log.WarnContext(ctx, "bot: meeting photo too large", slog.String("branch", m.BranchID), slog.Any("error", err))
			return Reply{Text: fmt.Sprintf("这张照片超过 %dMB，没有保存。请压缩后重新发送。", MaxPhotoBytes>>20)}, nil
		case IsPermanent(err):
			b.Log.WarnContext(ctx, "bot: meeting photo refused by WeCom", slog.String("branch", m.BranchID), slog.Any("error", err))
			return Reply{Text: "这张照片无法从企业微信取回（可能已过期），没有保存，请重新发送。"}, nil
		case err != nil:
			return Reply{}, fmt.Errorf("bot: fetch photo: %w", err)
		}
	}
	p := Photo{MediaID: req.Msg.MediaID, By: m.UserID, At: req.Now, Bytes: len(data)}
	if _, err := b.Minutes.AddPhoto(ctx, m.BranchID, meetingID, p, data); err != nil {
		return Reply{}, fmt.Errorf("bot: add photo: %w", err)
	}
	if photos, err = b.Minutes.Photos(ctx, m.BranchID, meetingID); err != nil {
		return Reply{}, fmt.Errorf("bot: read photos: %w", err)
	}
	return Reply{Text: fmt.Sprintf("📷 已存为会议照片（共 %d 张）。", len(photos))}, nil
}

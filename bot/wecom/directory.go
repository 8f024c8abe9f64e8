package wecom

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/silenceper/wechat/v2/work/addresslist"

	"github.com/partybot/partybot/bot"
)

var _ bot.Directory = (*Client)(nil)

// DepartmentUsers lists the users of a department and all its
// sub-departments, through department/simplelist and user/simplelist, the
// calls an app secret may still make (user/list_id needs the 通讯录同步 secret; doc 96067). The
// response shapes are silenceper's addresslist types; the calls go through
// this client for its context, timeout and token refresh.
// Specs: https://developer.work.weixin.qq.com/document/path/96259
func (c *Client) DepartmentUsers(ctx context.Context, departmentID int) ([]bot.DirectoryUser, error) {
	var depts addresslist.DepartmentSimpleListResponse
	if err := c.get(ctx, "department/simplelist", url.Values{"id": {strconv.Itoa(departmentID)}}, &depts); err != nil {
		return nil, err
	}
	ids := []int{departmentID}
	for _, d := range depts.DepartmentID {
		if d.ID != departmentID {
			ids = append(ids, d.ID)
		}
	}
	seen := map[string]bool{}
	var out []bot.DirectoryUser
	for _, id := range ids {
		var users addresslist.UserSimpleListResponse
		if err := c.get(ctx, "user/simplelist", url.Values{"department_id": {strconv.Itoa(id)}}, &users); err != nil {
			return nil, fmt.Errorf("wecom: department %d: %w", id, err)
		}
		for _, u := range users.UserList {
			if !seen[u.UserID] {
				seen[u.UserID] = true
				out = append(out, bot.DirectoryUser{UserID: u.UserID, Name: u.Name})
			}
		}
	}
	return out, nil
}

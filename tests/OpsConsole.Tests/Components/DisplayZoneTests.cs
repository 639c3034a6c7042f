using Bunit;
using Microsoft.AspNetCore.Components;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Components;

/// <summary>The time setting: UTC by default, the browser's zone when chosen, every time naming its zone.</summary>
public sealed class DisplayZoneTests : ComponentTestBase
{
    private static readonly DateTime Winter = new(2026, 1, 15, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Summer = new(2026, 7, 15, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void NoCookies_Utc()
    {
        var zone = DisplayZone.FromCookies(null, null);
        Assert.True(zone.IsUtc);
        Assert.False(zone.ChoseBrowser);
        Assert.Equal("2026-01-15 12:00 UTC", zone.Format(Winter));
    }

    [Fact]
    public void BrowserZoneKnownButNotChosen_StaysUtcAndRemembersTheZoneForTheSettingsPage()
    {
        var zone = DisplayZone.FromCookies("utc", "Asia/Kolkata");
        Assert.True(zone.IsUtc);
        Assert.Equal("Asia/Kolkata", zone.BrowserZoneId);
        Assert.Equal("2026-01-15 12:00 UTC", zone.Format(Winter));
    }

    [Fact]
    public void Kolkata_HalfHourOffsetNamed()
    {
        var zone = DisplayZone.FromCookies("browser", "Asia/Kolkata");
        Assert.False(zone.IsUtc);
        Assert.Equal("2026-01-15 17:30 UTC+5:30", zone.Format(Winter));
        Assert.Equal("17:30:00", zone.FormatBare(Winter, "HH:mm:ss"));
    }

    [Fact]
    public void NewYork_FollowsDaylightSavingPerInstant()
    {
        var zone = DisplayZone.FromCookies("browser", "America/New_York");
        Assert.Equal("2026-01-15 07:00 UTC−5", zone.Format(Winter));
        Assert.Equal("2026-07-15 08:00 UTC−4", zone.Format(Summer));
    }

    [Fact]
    public void DatabaseKinds_AllReadAsUtc()
    {
        var zone = DisplayZone.FromCookies("browser", "Europe/Berlin");
        var unspecified = DateTime.SpecifyKind(Winter, DateTimeKind.Unspecified);
        Assert.Equal("2026-01-15 13:00 UTC+1", zone.Format(unspecified));
        Assert.Equal("2026-01-15 12:00 UTC", DisplayZone.Utc.Format(unspecified));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/localtime")]
    [InlineData("Europe/../../../etc/shadow")]
    [InlineData("Not/AZone")]
    [InlineData("Europe/Berlin\u0000")]
    [InlineData("Europe/Berlin; ops-tz=utc")]
    [InlineData("Europe/\uD800Berlin")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/B")]
    public void HostileOrUnknownBrowserZone_UtcAndSaysSo(string cookie)
    {
        var zone = DisplayZone.FromCookies("browser", cookie);
        Assert.True(zone.IsUtc);
        Assert.True(zone.ChoseBrowser);
        Assert.Null(zone.BrowserZoneId);
        Assert.EndsWith(" UTC", zone.Format(Winter));
    }

    [Theory]
    [InlineData("BROWSER")]
    [InlineData("local")]
    [InlineData("browser ")]
    public void UnknownChoice_Utc(string choice)
    {
        var zone = DisplayZone.FromCookies(choice, "Asia/Kolkata");
        Assert.True(zone.IsUtc);
        Assert.False(zone.ChoseBrowser);
    }

    [Theory]
    [InlineData(0, "UTC")]
    [InlineData(60, "UTC+1")]
    [InlineData(-210, "UTC−3:30")]
    [InlineData(345, "UTC+5:45")]
    [InlineData(14 * 60, "UTC+14")]
    [InlineData(-12 * 60, "UTC−12")]
    public void OffsetLabels(int minutes, string expected) => Assert.Equal(expected, DisplayZone.OffsetLabel(TimeSpan.FromMinutes(minutes)));

    [Fact]
    public void Timestamp_WithoutASetting_UtcNamedAndMachineReadable()
    {
        var cut = Render<Timestamp>(p => p.Add(x => x.At, Winter));
        var time = cut.Find("time");
        Assert.Equal("2026-01-15 12:00 UTC", time.TextContent);
        Assert.Equal("2026-01-15T12:00:00.000Z", time.GetAttribute("datetime"));
    }

    [Fact]
    public void Timestamp_InTheChosenZone_TooltipKeepsUtc()
    {
        var zone = DisplayZone.FromCookies("browser", "Asia/Kolkata");
        var cut = Render<CascadingValue<DisplayZone>>(p => p
            .Add(x => x.Value, zone)
            .AddChildContent<Timestamp>(t => t.Add(x => x.At, Winter).Add(x => x.Format, "HH:mm")));
        var time = cut.Find("time");
        Assert.Equal("17:30 UTC+5:30", time.TextContent);
        Assert.Equal("2026-01-15 17:30:00 UTC+5:30 · 2026-01-15 12:00:00 UTC", time.GetAttribute("title"));
    }

    [Fact]
    public void Timestamp_Bare_LeavesTheZoneToTheHeader()
    {
        var zone = DisplayZone.FromCookies("browser", "America/New_York");
        var cut = Render<CascadingValue<DisplayZone>>(p => p
            .Add(x => x.Value, zone)
            .AddChildContent<Timestamp>(t => t.Add(x => x.At, Summer).Add(x => x.Bare, true)));
        Assert.Equal("2026-07-15 08:00", cut.Find("time").TextContent);
    }
}

/// <summary>The settings page: offers the browser's zone it knows, and says when it cannot.</summary>
public sealed class SettingsPageTests : ComponentTestBase
{
    public SettingsPageTests()
    {
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(Services, TimeProvider.System);
        SignedInAs("Viewer");
    }

    private IRenderedComponent<CascadingValue<DisplayZone>> Open(DisplayZone zone) =>
        Render<CascadingValue<DisplayZone>>(p => p.Add(x => x.Value, zone).AddChildContent<OpsConsole.Web.Components.Pages.SettingsPage>());

    [Fact]
    public void BrowserZoneKnown_OfferedWithItsOffset()
    {
        var cut = Open(DisplayZone.FromCookies(null, "Asia/Kolkata"));
        Assert.Contains("Asia/Kolkata (now UTC+5:30)", cut.Find("[data-testid=zone-browser]").TextContent);
        Assert.Contains(" UTC", cut.Find("[data-testid=zone-sample]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=zone-unknown]"));
    }

    [Fact]
    public void BrowserZoneUnknown_CannotBeChosenAndSaysWhy()
    {
        var cut = Open(DisplayZone.FromCookies(null, null));
        Assert.NotNull(cut.Find("[data-testid=zone-unknown]"));
        Assert.True(cut.Find("[data-testid=zone-browser] input").HasAttribute("disabled"));
    }

    [Fact]
    public void BrowserChosen_SampleInThatZone()
    {
        var cut = Open(DisplayZone.FromCookies("browser", "America/New_York"));
        Assert.Matches(@"UTC−[45]$", cut.Find("[data-testid=zone-sample] time").TextContent);
    }
}

using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Components;

public sealed class DurationsTests
{
    [Theory]
    [InlineData(30, "under a minute")]
    [InlineData(12 * 60 + 59, "12 min")]
    [InlineData(3660, "1 h 1 min")]
    [InlineData(2 * 86400 + 3 * 3600 + 59, "2 d 3 h")]
    public void Age_WordedByScale(int seconds, string expected) => Assert.Equal(expected, Durations.Age(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(40, "40 s")]
    [InlineData(24 * 60, "24 min")]
    [InlineData(90 * 60, "1.5 h")]
    public void Elapsed_WordedByScale(int seconds, string expected) => Assert.Equal(expected, Durations.Elapsed(TimeSpan.FromSeconds(seconds)));
}

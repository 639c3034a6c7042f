using System.Text.Json;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>RFC 8785 (JSON Canonicalization Scheme), on the examples the RFC itself gives.</summary>
public sealed class JcsTests
{
    private static string Canonical(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Jcs.Write(doc.RootElement);
    }

    [Theory]
    // RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript text.
    [InlineData(0x0000000000000000L, "0")]
    [InlineData(unchecked((long)0x8000000000000000UL), "0")]
    [InlineData(0x0000000000000001L, "5e-324")]
    [InlineData(unchecked((long)0x8000000000000001UL), "-5e-324")]
    [InlineData(0x7fefffffffffffffL, "1.7976931348623157e+308")]
    [InlineData(0x4340000000000000L, "9007199254740992")]
    [InlineData(0x4430000000000000L, "295147905179352830000")]
    [InlineData(0x444b1ae4d6e2ef4fL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50L, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dL, "0.000001")]
    public void Number_Rfc8785AppendixB(long bits, string expected) =>
        Assert.Equal(expected, Jcs.Number(BitConverter.Int64BitsToDouble(bits)));

    [Theory]
    // ECMAScript's Number.prototype.toString, hand-checked against its rules: plain from 1e-6 up to 1e21.
    [InlineData(1e23, "1e+23")]
    [InlineData(9.999999999999997e22, "9.999999999999997e+22")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(123.456, "123.456")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(100, "100")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1.25e21, "1.25e+21")]
    public void Number_EcmaScriptForms(double value, string expected) => Assert.Equal(expected, Jcs.Number(value));

    [Fact]
    public void Write_Rfc8785Section322Example()
    {
        var input = """{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}""";
        Assert.Equal("""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""", Canonical(input));
    }

    [Fact]
    public void Write_Rfc8785Section323_MembersSortedByUtf16CodeUnits()
    {
        var input = """{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}""";
        using var doc = JsonDocument.Parse(Canonical(input));
        Assert.Equal(["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"],
            doc.RootElement.EnumerateObject().Select(p => p.Value.GetString()));
    }

    [Fact]
    public void Write_OrderAndSpacingDoNotMatter_ValuesDo()
    {
        Assert.Equal(Canonical("""{"b": [1, {"y": 2, "x": 1}], "a": 0.5}"""), Canonical("""{ "a":5e-1,"b":[1.0,{"x":1,"y":2.00}] }"""));
        Assert.NotEqual(Canonical("""{"a": [1, 2]}"""), Canonical("""{"a": [2, 1]}"""));
    }

    [Theory]
    [InlineData("""{"a": 1, "a": 2}""", "twice")]
    [InlineData("""{"n": {"a": 1, "a": 1}}""", "twice")]
    [InlineData("""{"x": 1e400}""", "range of a double")]
    [InlineData("""{"x": "\ud800"}""", "UTF-16")]
    [InlineData("""{"\udc00": 1}""", "UTF-16")]
    public void Write_WhatItCannotRepresent_Refused(string json, string says)
    {
        var ex = Assert.Throws<FormatException>(() => Canonical(json));
        Assert.Contains(says, ex.Message);
    }
}
